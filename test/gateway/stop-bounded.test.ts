/**
 * Issue 13 item 3: the stop is bounded. Whatever hangs — a socket whose close never
 * settles, a control client that never answers, an agent that never answers — the
 * gateway's stop finishes within gateway.drainSeconds plus its margin, leaving the
 * hung phase behind with a warning (src/gateway/stop-phases.ts). Each phase is logged
 * with its duration.
 */
import net from 'node:net';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/index.js';
import { StopPhases } from '../../src/gateway/stop-phases.js';
import { startGateway, type Gateway } from '../../src/gateway/supervisor.js';
import { readTokenFile } from '../../src/gateway/token.js';
import { dm } from '../access/harness.js';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai.js';
import { FakeTransportFactory } from '../helpers/fake-transport.js';
import { tmpDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

interface Line {
  level: number;
  msg: string;
  phase?: string;
  ms?: number;
  boundMs?: number;
  phases?: Array<{ phase: string; ms: number; timedOut: boolean }>;
}

/** A pino logger whose lines (JSON) the test reads. */
function capture(): { logger: pino.Logger; lines: Line[] } {
  const lines: Line[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Line) });
  return { logger, lines };
}

let gw: Gateway | null = null;
let ai: FakeOpenAi | null = null;
const sockets: net.Socket[] = [];
afterEach(async () => {
  await gw?.stop();
  gw = null;
  await ai?.close();
  ai = null;
  for (const s of sockets.splice(0)) s.destroy();
});

/** A WebSocket client that authenticates and then never reads or answers anything (its close handshake included). */
async function deafClient(port: number, token: string): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let head = '';
  const upgraded = new Promise<void>((resolve) => {
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        socket.off('data', onData);
        socket.pause(); // from now on nothing is read
        resolve();
      }
    };
    socket.on('data', onData);
  });
  socket.write(
    [
      'GET / HTTP/1.1',
      `Host: 127.0.0.1:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Version: 13',
      `Authorization: Bearer ${token}`,
      '',
      '',
    ].join('\r\n'),
  );
  await upgraded;
  expect(head).toMatch(/^HTTP\/1\.1 101/);
  return socket;
}

describe('the stop is bounded (gateway.drainSeconds + a fixed margin)', () => {
  it('a socket whose close never settles, a deaf control client and an agent that never answers do not hold it', async () => {
    ai = await startFakeOpenAi();
    ai.reply = { kind: 'hang' };
    const stateDir = tmpDir('stop-bounded');
    const config = validateConfig(
      {
        channels: { whatsapp: { dmPolicy: 'open', allowFrom: ['*'], accounts: { work: {} } } },
        agents: { defaults: { model: { provider: 'openai', baseUrl: ai.baseUrl, model: 'm' } } },
        gateway: { drainSeconds: 1 },
      },
      path.join(stateDir, 'wagate.json'),
    );
    const transport = new FakeTransportFactory({ work: true });
    const { logger, lines } = capture();
    gw = await startGateway({
      config,
      configPath: path.join(stateDir, 'wagate.json'),
      stateDir,
      env: { WAGATE_HOME: stateDir },
      transport,
      logger,
      port: 0,
      tickMs: 0,
      // Short bounds, so the test does not wait the real ones out.
      stopBounds: { socketsMs: 300, marginMs: 2_000 },
    });
    const conn = transport.get('work').current;
    conn.open();
    await until(() => gw!.accounts.get('work')!.state === 'connected', 'connected');
    // The socket's close never settles (a Baileys end that never reports back).
    conn.close = () => new Promise<void>(() => undefined);
    await deafClient(gw.control.port, readTokenFile(stateDir)!);
    conn.emit({ type: 'messages', messages: [dm('+15551234567', 'think hard', { accountId: 'work', timestamp: Date.now() })] });
    await until(() => ai!.requests.length === 1, 'the agent asked');

    await gw.stop('SIGTERM');
    gw = null;

    const stopped = lines.find((l) => l.msg === 'gateway stopped');
    expect(stopped?.phases?.map((p) => p.phase)).toEqual([
      'drain',
      'actors',
      'sockets',
      'control server',
      'bus handlers',
      'ledger',
      'connection history',
      'relay',
      'leases',
      'store',
    ]);
    // The hung close was left behind at its bound; nothing else hung.
    expect(stopped!.phases!.filter((p) => p.timedOut).map((p) => p.phase)).toEqual(['sockets']);
    expect(lines.find((l) => l.msg.startsWith('a stop phase did not finish'))).toMatchObject({ phase: 'sockets', boundMs: 300 });
    expect(lines.some((l) => l.msg.startsWith('stopping with work still in flight'))).toBe(true);
    // Every phase's duration is logged.
    expect(lines.filter((l) => l.phase !== undefined && l.ms !== undefined).map((l) => l.phase)).toContain('store');
  });
});

describe('StopPhases', () => {
  it('leaves a phase behind at its bound, and the phases after the drain share one margin', async () => {
    const { logger, lines } = capture();
    const phases = new StopPhases(logger, { actorsMs: 50, socketsMs: 10_000, controlMs: 50, busMs: 50, writesMs: 50, storeMs: 50, marginMs: 200 });
    phases.startMargin();
    const never = () => new Promise<void>(() => undefined);
    await phases.run('hangs past the margin', 10_000, never); // its own bound is long: the margin ends it
    await phases.run('after the margin', 10_000, never); // gets the minimum only
    await phases.run('quick', 50, () => undefined);
    await phases.run('fails', 50, () => Promise.reject(new Error('boom')));
    expect(phases.done.map((p) => [p.phase, p.timedOut])).toEqual([
      ['hangs past the margin', true],
      ['after the margin', true],
      ['quick', false],
      ['fails', false],
    ]);
    const bounds = lines.filter((l) => l.boundMs !== undefined).map((l) => l.boundMs!);
    expect(bounds[0]).toBeLessThanOrEqual(200);
    expect(bounds[1]).toBe(100);
    expect(lines.find((l) => l.msg === 'a stop phase failed; the stop goes on')).toMatchObject({ phase: 'fails' });
  });
});
