/**
 * The control server: a WebSocket on `gateway.bind:gateway.port` speaking the
 * protocol in protocol.ts. Bad frames (non-JSON, not a request, unknown method,
 * invalid params, over 1 MiB) get an error response; the connection and every
 * other client keep working. A wrong or missing token gets an error, then close.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import type { Logger } from 'pino';
import { WagateError, toErrorInfo } from '../errors.js';
import type { MethodRegistry } from './methods.js';
import {
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  connectParamsSchema,
  requestFrameSchema,
  type HelloOk,
  type ServerFrame,
} from './protocol.js';
import { isLoopback, tokenMatches } from './token.js';

export interface ControlServerOptions {
  host: string;
  port: number;
  token: string;
  /** True when the token came from the config (required for non-loopback binds). */
  tokenConfigured: boolean;
  methods: MethodRegistry;
  snapshot(): HelloOk['snapshot'];
  logger: Logger;
  /** `tick` event period; 0 disables. */
  tickMs?: number;
  now?: () => number;
}

export interface ControlServer {
  readonly port: number;
  readonly url: string;
  /** Send an event to every authenticated client. */
  broadcast(event: string, payload: unknown): void;
  clientCount(): number;
  close(): Promise<void>;
}

interface Client {
  ws: WebSocket;
  authed: boolean;
  seq: number;
  abort: AbortController;
}

/** Hard ceiling above which ws itself drops the connection (1009). */
const WS_HARD_LIMIT = 16 * MAX_FRAME_BYTES;

export async function startControlServer(opts: ControlServerOptions): Promise<ControlServer> {
  if (!isLoopback(opts.host) && !opts.tokenConfigured) {
    throw new WagateError(
      'WAGATE_ERR_CONFIG',
      `Refusing to bind the control server to ${opts.host} without gateway.auth.token; set a token in the config or bind 127.0.0.1.`,
    );
  }
  const log = opts.logger;
  const clients = new Set<Client>();
  const httpServer = http.createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('wagate control endpoint: WebSocket only\n');
  });
  const wss = new WebSocketServer({ server: httpServer, maxPayload: WS_HARD_LIMIT });

  const send = (c: Client, frame: ServerFrame) => {
    if (c.ws.readyState === c.ws.OPEN) c.ws.send(JSON.stringify(frame));
  };
  const sendEvent = (c: Client, event: string, payload: unknown) => {
    if (!c.authed) return;
    c.seq += 1;
    send(c, { type: 'event', event, payload, seq: c.seq });
  };
  const fail = (c: Client, id: string | number | null, err: unknown) =>
    send(c, { type: 'res', id, ok: false, error: toErrorInfo(err) });

  async function onFrame(c: Client, data: RawData, isBinary: boolean): Promise<void> {
    const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer).byteLength;
    if (size > MAX_FRAME_BYTES) {
      fail(c, null, new WagateError('WAGATE_ERR_FRAME_TOO_LARGE', `Frame of ${size} bytes exceeds the ${MAX_FRAME_BYTES}-byte limit.`));
      return;
    }
    if (isBinary) {
      fail(c, null, new WagateError('WAGATE_ERR_BAD_REQUEST', 'Binary frames are not supported; send JSON text frames.'));
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data.toString());
    } catch (err) {
      fail(c, null, new WagateError('WAGATE_ERR_BAD_REQUEST', `Frame is not valid JSON: ${(err as Error).message}.`));
      return;
    }
    const parsed = requestFrameSchema.safeParse(json);
    if (!parsed.success) {
      const id = (json as { id?: unknown } | null)?.id;
      const safeId = typeof id === 'string' || typeof id === 'number' ? id : null;
      fail(c, safeId, new WagateError('WAGATE_ERR_BAD_REQUEST', 'Expected a request frame {type:"req", id, method, params}.'));
      return;
    }
    const req = parsed.data;
    if (!c.authed) {
      const params = connectParamsSchema.safeParse(req.params ?? {});
      if (req.method !== 'connect' || !params.success || !tokenMatches(opts.token, params.data.token)) {
        const msg =
          req.method !== 'connect'
            ? 'The first request must be "connect" with the token.'
            : 'The control token is missing or wrong; check gateway.auth.token or the token file.';
        fail(c, req.id, new WagateError('WAGATE_ERR_UNAUTHORIZED', msg));
        c.ws.close(1008, 'unauthorized');
        return;
      }
      c.authed = true;
      const hello: HelloOk = { type: 'hello-ok', protocol: PROTOCOL_VERSION, snapshot: opts.snapshot() };
      send(c, { type: 'res', id: req.id, ok: true, payload: hello });
      return;
    }
    try {
      const payload = await opts.methods.call(req.method, req.params, {
        emit: (event, p) => sendEvent(c, event, p),
        signal: c.abort.signal,
      });
      send(c, { type: 'res', id: req.id, ok: true, payload: payload ?? null });
    } catch (err) {
      if (!(err instanceof WagateError)) log.error({ err, method: req.method }, 'control method failed');
      fail(c, req.id, err);
    }
  }

  // ws re-emits the HTTP server's errors; listen() reports them below.
  wss.on('error', () => undefined);
  wss.on('connection', (ws) => {
    const c: Client = { ws, authed: false, seq: 0, abort: new AbortController() };
    clients.add(c);
    ws.on('message', (data, isBinary) => {
      onFrame(c, data, isBinary).catch((err: unknown) => log.error({ err }, 'control frame handling failed'));
    });
    ws.on('error', (err) => log.warn({ err: err.message }, 'control client error'));
    ws.on('close', () => {
      c.abort.abort();
      clients.delete(c);
    });
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(opts.port, opts.host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const port = (httpServer.address() as AddressInfo).port;
  const tickMs = opts.tickMs ?? 15_000;
  const now = opts.now ?? Date.now;
  const tick = tickMs > 0 ? setInterval(() => broadcast('tick', { at: now() }), tickMs) : null;

  function broadcast(event: string, payload: unknown): void {
    for (const c of clients) sendEvent(c, event, payload);
  }

  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  log.info({ host: opts.host, port }, 'control server listening');
  return {
    port,
    url: `ws://${host}:${port}`,
    broadcast,
    clientCount: () => clients.size,
    async close() {
      if (tick) clearInterval(tick);
      for (const c of clients) {
        c.abort.abort();
        c.ws.close(1001, 'gateway shutting down');
      }
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      for (const c of clients) c.ws.terminate();
      clients.clear();
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
    },
  };
}
