/**
 * A client of the control protocol (used by the CLI and tests): connects,
 * authenticates with `connect`, sends requests and routes events. The token
 * also goes in the upgrade request (`Authorization: Bearer`), so the gateway
 * admits this client even while unauthenticated sockets are at their cap.
 */
import WebSocket from 'ws';
import { WagateError, type ErrorCode } from '../errors.js';
import type { ControlMethod, ControlParams, ControlResults } from './control-methods.js';
import type { EventFrame, HelloOk, ServerFrame } from './protocol.js';

export interface ControlClient {
  readonly hello: HelloOk;
  /** Call a control method: name, params and answer typed by control-methods.ts. */
  request<M extends ControlMethod>(method: M, params: ControlParams<M>): Promise<ControlResults[M]>;
  /** Any method name and params, answer unchecked (protocol tests: unknown methods, bad params). */
  requestRaw(method: string, params?: unknown): Promise<unknown>;
  /** Subscribe to events; returns the unsubscribe function. */
  onEvent(handler: (frame: EventFrame) => void): () => void;
  /** Resolves when the connection closes. */
  readonly closed: Promise<void>;
  close(): void;
}

export interface ConnectOptions {
  url: string;
  token: string | null;
  timeoutMs?: number;
  clientName?: string;
}

export async function connectControl(opts: ConnectOptions): Promise<ControlClient> {
  const ws = new WebSocket(opts.url, {
    handshakeTimeout: opts.timeoutMs ?? 5000,
    perMessageDeflate: false,
    ...(opts.token ? { headers: { authorization: `Bearer ${opts.token}` } } : {}),
  });
  const pending = new Map<string, { resolve(v: unknown): void; reject(e: unknown): void }>();
  const handlers = new Set<(f: EventFrame) => void>();
  let nextId = 1;
  let closedError: WagateError | null = null;

  const closed = new Promise<void>((resolve) => {
    ws.on('close', (_code, reason) => {
      closedError ??= new WagateError(
        'WAGATE_ERR_GATEWAY_UNREACHABLE',
        `The gateway closed the connection${reason.length ? ` (${reason.toString()})` : ''}.`,
      );
      for (const p of pending.values()) p.reject(closedError);
      pending.clear();
      resolve();
    });
  });

  ws.on('message', (data) => {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(data.toString()) as ServerFrame;
    } catch {
      return;
    }
    if (frame.type === 'event') {
      for (const h of handlers) h(frame);
      return;
    }
    const p = pending.get(String(frame.id));
    if (!p) return;
    pending.delete(String(frame.id));
    if (frame.ok) p.resolve(frame.payload);
    else p.reject(new WagateError(frame.error.code as ErrorCode, frame.error.message));
  });

  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', (err: NodeJS.ErrnoException) => {
      closedError = refusedUpgrade(err, opts.url) ?? new WagateError(
        'WAGATE_ERR_GATEWAY_UNREACHABLE',
        `The gateway is not reachable at ${opts.url} (${err.code ?? err.message}); start it with \`wagate gateway\`.`,
        { cause: err },
      );
      reject(closedError);
    });
  });
  ws.on('error', () => undefined);

  const requestRaw = <T = unknown>(method: string, params?: unknown): Promise<T> => {
    if (ws.readyState !== ws.OPEN) {
      return Promise.reject(closedError ?? new WagateError('WAGATE_ERR_GATEWAY_UNREACHABLE'));
    }
    const id = String(nextId++);
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      ws.send(JSON.stringify({ type: 'req', id, method, params: params ?? {} }));
    });
  };

  let hello: HelloOk;
  try {
    hello = await requestRaw<HelloOk>('connect', {
      token: opts.token ?? undefined,
      client: { name: opts.clientName ?? 'wagate-cli' },
    });
  } catch (err) {
    ws.close();
    throw err;
  }

  return {
    hello,
    request: (method, params) => requestRaw(method, params),
    requestRaw,
    onEvent(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    closed,
    close() {
      ws.close();
    },
  };
}

/** The gateway answered the upgrade with an HTTP error (ws: "Unexpected server response: 401"). */
function refusedUpgrade(err: Error, url: string): WagateError | null {
  const status = Number(/Unexpected server response: (\d+)/.exec(err.message)?.[1]);
  if (status === 401) return new WagateError('WAGATE_ERR_UNAUTHORIZED', 'The control token is missing or wrong; check gateway.auth.token or the token file.', { cause: err });
  if (status === 403) return new WagateError('WAGATE_ERR_UNAUTHORIZED', `The gateway at ${url} refused this client's Origin; see gateway.allowedOrigins.`, { cause: err });
  if (status === 503) return new WagateError('WAGATE_ERR_GATEWAY_UNREACHABLE', `The gateway at ${url} has too many control connections open; retry shortly.`, { cause: err });
  return null;
}
