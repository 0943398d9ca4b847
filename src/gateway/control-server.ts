/**
 * The control server: a WebSocket on `gateway.bind:gateway.port` speaking the
 * protocol in protocol.ts.
 *
 * Before authentication a socket gets little: control-admission.ts decides the
 * upgrade (Origin, socket caps, bearer token); then frames are capped at
 * PRE_AUTH_MAX_FRAME_BYTES (ws closes 1009 before buffering more), the first
 * bad frame gets one error answer and a close (1008), and a socket that has not
 * authenticated within `authTimeoutMs` is closed (1008). A wrong token is a
 * failed authentication: logged and answered only after the address's delay
 * (auth-guard.ts), then closed.
 *
 * Plain HTTP requests go to the routes in `routes` (control-http.ts: /metrics,
 * /healthz, /readyz, with their own token and Origin/Host checks).
 *
 * After authentication, bad frames (non-JSON, not a request, unknown method,
 * invalid params, over 1 MiB) get an error response and the connection keeps
 * working; frames over MAX_PAYLOAD_BYTES close it (1009).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import type { Logger } from 'pino';
import { WagateError, toErrorInfo } from '../errors.js';
import { createAuthGuard, type AuthGuard } from './auth-guard.js';
import { allowedOrigins, isLoopback, weakTokenProblem } from './bind-policy.js';
import { admit, refuseUpgrade, UNAUTHORIZED_MESSAGE } from './control-admission.js';
import { createHttpHandler, type HttpRoutes } from './control-http.js';
import { CONTROL_LIMITS, setFrameLimit, type ControlLimits } from './control-limits.js';
import type { MethodDispatcher } from './methods.js';
import { PROTOCOL_VERSION, connectParamsSchema, parseRequestFrame, type HelloOk, type ServerFrame } from './protocol.js';
import { tokenMatches } from './token.js';
import type { WebSessions } from './web-sessions.js';

export interface ControlServerOptions {
  host: string;
  port: number;
  token: string;
  /** True when the token came from the config (required for non-loopback binds). */
  tokenConfigured: boolean;
  /** `gateway.allowedOrigins`: browser origins allowed besides the gateway's own. */
  allowedOrigins?: readonly string[];
  methods: MethodDispatcher;
  snapshot(): HelloOk['snapshot'];
  logger: Logger;
  /** `tick` event period; 0 disables. */
  tickMs?: number;
  now?: () => number;
  limits?: Partial<ControlLimits>;
  /** Plain HTTP routes beside the WebSocket (path → route). */
  routes?: HttpRoutes;
  /** The control page's sessions: their cookie also opens the WebSocket. */
  sessions?: WebSessions;
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
  remote: string;
  /** The token was proven (bearer header at upgrade, or `connect`). */
  trusted: boolean;
  /** `connect` was answered with hello-ok. */
  authed: boolean;
  /** A refusal is being sent (after the failure delay); further frames are ignored. */
  closing: boolean;
  /** The auth timeout, or the delayed answer to a failed authentication. */
  timer: NodeJS.Timeout | null;
  seq: number;
  abort: AbortController;
  /** The control page session this socket rides on (closed when it ends). */
  sessionId: string | null;
}

export async function startControlServer(opts: ControlServerOptions): Promise<ControlServer> {
  if (!isLoopback(opts.host) && !opts.tokenConfigured) {
    throw new WagateError(
      'WAGATE_ERR_CONFIG',
      `Refusing to bind the control server to ${opts.host} without gateway.auth.token; set a token in the config or bind 127.0.0.1.`,
    );
  }
  const weak = opts.tokenConfigured ? weakTokenProblem(opts.host, opts.token) : null;
  if (weak) throw new WagateError('WAGATE_ERR_CONFIG', `Refusing to start the control server: ${weak}; set a longer token or bind 127.0.0.1.`);
  const log = opts.logger;
  const limits: ControlLimits = { ...CONTROL_LIMITS, ...opts.limits };
  const now = opts.now ?? Date.now;
  const guard: AuthGuard = createAuthGuard({
    logger: log,
    now,
    baseDelayMs: limits.authFailBaseDelayMs,
    maxDelayMs: limits.authFailMaxDelayMs,
  });
  const clients = new Set<Client>();
  /** Upgrades whose 401 answer waits out the failure delay. */
  const held = new Map<Duplex, NodeJS.Timeout>();
  const unauthenticated = () => held.size + [...clients].filter((c) => !c.trusted).length;
  let origins: ReadonlySet<string> = new Set();

  const plain = createHttpHandler(opts.routes ?? new Map(), {
    host: opts.host,
    token: opts.token,
    guard,
    origins: () => origins,
    maxHeld: limits.maxUnauthenticated,
    ...(opts.sessions ? { sessions: opts.sessions } : {}),
    onError: (err, path) => log.error({ err, path }, 'control HTTP request failed'),
  });
  const httpServer = http.createServer((req, res) => plain.handle(req, res));
  httpServer.headersTimeout = 10_000;
  httpServer.requestTimeout = 10_000;
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, maxPayload: limits.preAuthMaxFrameBytes, perMessageDeflate: false });

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
  const clearTimer = (c: Client) => {
    if (c.timer) clearTimeout(c.timer);
    c.timer = null;
  };
  /** Before authentication: one error answer, then close. */
  const refuse = (c: Client, id: string | number | null, err: WagateError) => {
    clearTimer(c);
    c.closing = true;
    fail(c, id, err);
    c.ws.close(1008, err.code === 'WAGATE_ERR_UNAUTHORIZED' ? 'unauthorized' : 'bad frame before authentication');
  };

  function authenticate(c: Client, id: string | number, method: string, rawParams: unknown): void {
    if (method !== 'connect') {
      refuse(c, id, new WagateError('WAGATE_ERR_UNAUTHORIZED', 'The first request must be "connect" with the token.'));
      return;
    }
    const params = connectParamsSchema.safeParse(rawParams ?? {});
    if (!c.trusted && !(params.success && tokenMatches(opts.token, params.data.token))) {
      clearTimer(c);
      c.closing = true;
      const delay = guard.fail(c.remote, 'connect');
      c.timer = setTimeout(() => refuse(c, id, new WagateError('WAGATE_ERR_UNAUTHORIZED', UNAUTHORIZED_MESSAGE)), delay);
      return;
    }
    clearTimer(c);
    if (!c.trusted) setFrameLimit(c.ws, limits.maxPayloadBytes);
    c.trusted = true;
    c.authed = true;
    const hello: HelloOk = { type: 'hello-ok', protocol: PROTOCOL_VERSION, snapshot: opts.snapshot() };
    send(c, { type: 'res', id, ok: true, payload: hello });
  }

  async function onFrame(c: Client, data: RawData, isBinary: boolean): Promise<void> {
    if (c.closing) return;
    const r = parseRequestFrame(data, isBinary, c.trusted ? limits.maxFrameBytes : limits.preAuthMaxFrameBytes);
    if (!c.authed) {
      if (r.req) authenticate(c, r.req.id, r.req.method, r.req.params);
      else refuse(c, r.id, r.err);
      return;
    }
    if (!r.req) {
      fail(c, r.id, r.err);
      return;
    }
    const req = r.req;
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

  function onConnection(ws: WebSocket, remote: string, trusted: boolean, sessionId: string | null): void {
    const c: Client = { ws, remote, trusted, authed: false, closing: false, timer: null, seq: 0, abort: new AbortController(), sessionId };
    clients.add(c);
    if (trusted) {
      setFrameLimit(ws, limits.maxPayloadBytes);
    } else {
      c.timer = setTimeout(() => {
        c.closing = true;
        c.timer = null;
        ws.close(1008, 'authentication timeout');
      }, limits.authTimeoutMs);
    }
    ws.on('message', (data, isBinary) => {
      onFrame(c, data, isBinary).catch((err: unknown) => log.error({ err }, 'control frame handling failed'));
    });
    ws.on('error', (err) => log.debug({ err: err.message, remote }, 'control client error'));
    ws.on('close', () => {
      clearTimer(c);
      c.abort.abort();
      clients.delete(c);
    });
  }

  httpServer.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const remote = req.socket.remoteAddress ?? 'unknown';
    const decision = admit(
      { headers: req.headers, remote, sockets: clients.size + held.size, unauthenticated: unauthenticated() },
      { token: opts.token, origins, limits, guard, ...(opts.sessions ? { session: (cookie: string | undefined) => opts.sessions!.fromCookie(cookie) } : {}) },
    );
    if (decision.kind === 'refuse') {
      log.debug({ remote, status: decision.status, origin: req.headers.origin }, 'control upgrade refused');
      refuseUpgrade(socket, decision.status, decision.message);
    } else if (decision.kind === 'hold') {
      const timer = setTimeout(() => {
        held.delete(socket);
        refuseUpgrade(socket, decision.status, decision.message);
      }, decision.delayMs);
      held.set(socket, timer);
      socket.once('close', () => {
        clearTimeout(timer);
        held.delete(socket);
      });
    } else {
      wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, remote, decision.authenticated, decision.sessionId ?? null));
    }
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(opts.port, opts.host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const port = (httpServer.address() as AddressInfo).port;
  origins = allowedOrigins(opts.host, port, opts.allowedOrigins);
  const tickMs = opts.tickMs ?? 15_000;
  const tick = tickMs > 0 ? setInterval(() => broadcast('tick', { at: now() }), tickMs) : null;

  function broadcast(event: string, payload: unknown): void {
    for (const c of clients) sendEvent(c, event, payload);
  }

  // A page's WebSocket lives no longer than the session it rides on.
  const offRevoke = opts.sessions?.onRevoke((id) => {
    for (const c of clients) if (c.sessionId === id) c.ws.close(1008, 'session ended');
  });

  let closing: Promise<void> | null = null;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  log.info({ host: opts.host, port }, 'control server listening');
  return {
    port,
    url: `ws://${host}:${port}`,
    broadcast,
    clientCount: () => clients.size,
    close() {
      closing ??= shutdown();
      return closing;
    },
  };

  async function shutdown(): Promise<void> {
    if (tick) clearInterval(tick);
    offRevoke?.();
    for (const [socket, timer] of held) {
      clearTimeout(timer);
      socket.destroy();
    }
    held.clear();
    plain.release();
    for (const c of clients) {
      clearTimer(c);
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
  }
}
