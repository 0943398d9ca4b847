/** Shared setup for control-server tests: a server with test methods, raw sockets, a log capture. */
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import WebSocket from 'ws';
import { z } from 'zod';
import { startControlServer, type ControlServer, type ControlServerOptions } from '../../src/gateway/control-server.js';
import { MethodRegistry } from '../../src/gateway/methods.js';
import { silentLogger } from '../../src/log.js';

export const TOKEN = 'test-token-123';

/** The test methods' table (the gateway's own is src/gateway/control-methods.ts). */
const TEST_METHODS = {
  echo: { description: 'echo params.text', params: z.object({ text: z.string() }) },
  stream: { description: 'emit two events, then answer', params: z.object({}) },
  explode: { description: 'throws', params: z.object({}) },
};
interface TestResults {
  echo: { text: string };
  stream: { done: true };
  explode: never;
}

export function testMethods(): MethodRegistry<typeof TEST_METHODS, TestResults> {
  const methods = new MethodRegistry<typeof TEST_METHODS, TestResults>(TEST_METHODS);
  methods.register('echo', (p) => ({ text: p.text }));
  methods.register('stream', (_p, ctx) => {
    ctx.emit('progress', { n: 1 });
    ctx.emit('progress', { n: 2 });
    return { done: true };
  });
  methods.register('explode', () => {
    throw new Error('kaboom');
  });
  return methods;
}

/** Servers started by `startTestServer`; `closeTestServers()` in afterEach. */
const servers: ControlServer[] = [];

export async function startTestServer(extra: Partial<ControlServerOptions> = {}): Promise<ControlServer> {
  const s = await startControlServer({
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    tokenConfigured: false,
    methods: testMethods(),
    snapshot: () => ({ presence: [{ accountId: 'default', state: 'unlinked' }], health: { ok: true } }),
    logger: silentLogger(),
    tickMs: 0,
    ...extra,
  });
  servers.push(s);
  return s;
}

export async function closeTestServers(): Promise<void> {
  await Promise.all(servers.splice(0).map((s) => s.close()));
}

export interface RawSocket {
  ws: WebSocket;
  /** Every frame received, JSON-parsed. */
  frames: any[];
  next(n?: number): Promise<any>;
  closed: Promise<{ code: number; reason: string }>;
}

/** A raw socket that records every frame it gets (and never throws on errors). */
export async function raw(url: string, options: WebSocket.ClientOptions = {}): Promise<RawSocket> {
  const ws = new WebSocket(url, options);
  const frames: any[] = [];
  const waiters: Array<() => void> = [];
  ws.on('error', () => undefined);
  ws.on('message', (d) => {
    frames.push(JSON.parse(d.toString()));
    waiters.splice(0).forEach((w) => w());
  });
  const closed = new Promise<{ code: number; reason: string }>((r) =>
    ws.on('close', (code, reason) => {
      waiters.splice(0).forEach((w) => w());
      r({ code, reason: reason.toString() });
    }),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = async (n = frames.length + 1) => {
    while (frames.length < n) {
      if (ws.readyState === ws.CLOSED) throw new Error(`socket closed after ${frames.length} frame(s)`);
      await new Promise<void>((r) => waiters.push(r));
    }
    return frames[n - 1];
  };
  return { ws, frames, next, closed };
}

/** The HTTP status a refused upgrade was answered with (rejects if the upgrade succeeds). */
export function upgradeStatus(url: string, options: WebSocket.ClientOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.on('error', () => undefined);
    ws.on('open', () => {
      ws.terminate();
      reject(new Error('upgrade was accepted'));
    });
  });
}

/** A pino logger whose JSON lines land in `lines`. */
export function captureLogger(): { logger: Logger; lines: any[] } {
  const lines: any[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}
