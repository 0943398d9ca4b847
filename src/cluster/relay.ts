/**
 * Carrying a control request to the node that runs its account (issue 16 item 3):
 * PostgreSQL LISTEN/NOTIFY on the database the nodes share, no transport of our own.
 * Each node listens on its channel (`wagate_node_<nodeId>`) on one dedicated
 * connection. Messages (JSON, one NOTIFY each, in order per sender):
 *
 * - `{ kind: "req", id, from, method, params }` caller → owner: the owner runs the
 *   method as if a local client had called it (`call`);
 * - `{ kind: "evt", id, event, payload }` owner → caller: an event for the calling
 *   client only (`ctx.emit`: the `agent` stream, the QR codes and pairing code of a
 *   carried `login.start`), before or after the answer;
 * - `{ kind: "res", id, ok, result | error, streaming }` owner → caller: the answer;
 *   with `streaming` the caller keeps passing events on until
 * - `{ kind: "end", id }` owner → caller: the stream is over;
 * - `{ kind: "cancel", id }` caller → owner: the calling client went away (the owner's
 *   call sees its signal abort).
 *
 * Carried methods (`RELAYED`): `send`, `react`, `logout`, `account.reconnect`,
 * `login.start`, `login.wait`, `agent`. NOTIFY payloads are limited to 8000 bytes: a
 * larger request or answer is refused with WAGATE_ERR_BAD_REQUEST, naming the node to
 * ask instead (an event that large is dropped and logged). No answer within the
 * request's timeout, or the owner found dead meanwhile (`watch`), is
 * WAGATE_ERR_NODE_UNREACHABLE.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import { isWagateError, WagateError, type ErrorCode } from '../errors.js';

export const RELAYED = new Set(['send', 'react', 'logout', 'account.reconnect', 'login.start', 'login.wait', 'agent']);
/** How long a carried request waits for its answer by default. */
export const RELAY_TIMEOUT_MS = 60_000;
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes and more. */
const MAX_PAYLOAD = 7900;

export const relayChannel = (nodeId: string) => `wagate_node_${nodeId}`;

interface Request {
  kind: 'req';
  id: string;
  from: string;
  method: string;
  params: unknown;
}
interface Response {
  kind: 'res';
  id: string;
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string };
  /** Events follow the answer until `end`. */
  streaming?: boolean;
}
interface StreamEvent {
  kind: 'evt';
  id: string;
  event: string;
  payload: unknown;
}
type Message = Request | Response | StreamEvent | { kind: 'end' | 'cancel'; id: string; from?: string };

/** What the owner's `call` gets for a carried request. */
export interface CarriedCall {
  /** The node that carried it. */
  from: string;
  /** An event for the calling client (`ctx.emit` there). */
  emit(event: string, payload: unknown): void;
  /** Keep the stream open after the answer, until `end()`. */
  keepStreaming(): void;
  end(): void;
  /** Aborts when the calling client goes away or this node stops. */
  signal: AbortSignal;
}

export interface RequestOptions {
  timeoutMs?: number;
  /** The calling client's events (`ctx.emit`). */
  onEvent?(event: string, payload: unknown): void;
  /** The calling client went away: tell the owner. */
  signal?: AbortSignal;
  /**
   * Asked every `watchMs` while waiting for the answer: a message when the owner is
   * known gone (its heartbeat stopped, the account moved), which fails the request at once.
   */
  watch?(): Promise<string | null>;
  watchMs?: number;
}

export interface RelayOptions {
  url: string;
  nodeId: string;
  /** Run a method here, for a request another node carried. */
  call(method: string, params: unknown, carried: CarriedCall): Promise<unknown>;
  logger: Logger;
  timeoutMs?: number;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timer: ReturnType<typeof setTimeout>;
  watcher: ReturnType<typeof setInterval> | null;
}

export class ControlRelay {
  private readonly pending = new Map<string, Pending>();
  /** Event sinks of the requests this node carried, by request id. */
  private readonly sinks = new Map<string, { onEvent(event: string, payload: unknown): void; off(): void }>();
  /** Calls this node runs for other nodes, by request id (for `cancel`). */
  private readonly running = new Map<string, AbortController>();
  private readonly stopping = new AbortController();
  private closed = false;

  private constructor(
    private readonly client: pg.Client,
    private readonly opts: RelayOptions,
  ) {}

  static async start(opts: RelayOptions): Promise<ControlRelay> {
    const client = new pg.Client({ connectionString: opts.url, application_name: 'wagate-relay' });
    client.on('error', (err) => opts.logger.error({ err }, 'the control relay connection failed; requests for other nodes fail until restart'));
    await client.connect();
    const relay = new ControlRelay(client, opts);
    client.on('notification', (n) => relay.onNotification(n.payload ?? ''));
    await client.query(`LISTEN "${relayChannel(opts.nodeId)}"`);
    return relay;
  }

  /** Run `method` on node `nodeId` and resolve with its answer. */
  async request(nodeId: string, method: string, params: unknown, ro: RequestOptions = {}): Promise<unknown> {
    if (this.closed) throw new WagateError('WAGATE_ERR_GATEWAY_UNREACHABLE', 'The gateway is stopping.');
    const id = randomUUID();
    const payload = JSON.stringify({ kind: 'req', id, from: this.opts.nodeId, method, params } satisfies Request);
    if (Buffer.byteLength(payload) > MAX_PAYLOAD) {
      throw new WagateError('WAGATE_ERR_BAD_REQUEST', `The request is too large to carry to node ${nodeId}, which runs the account; send it to that node's control port.`);
    }
    if (ro.onEvent) this.openSink(id, nodeId, ro.onEvent, ro.signal);
    const timeoutMs = ro.timeoutMs ?? this.opts.timeoutMs ?? RELAY_TIMEOUT_MS;
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(
        () => this.settle(id, new WagateError('WAGATE_ERR_NODE_UNREACHABLE', `Node ${nodeId}, which runs the account, did not answer ${method} within ${Math.round(timeoutMs / 1000)} s; if it is dead, its accounts move to another node when their leases expire — retry then.`)),
        timeoutMs,
      );
      let watcher: ReturnType<typeof setInterval> | null = null;
      if (ro.watch) {
        const watch = ro.watch;
        let asking = false;
        watcher = setInterval(() => {
          if (asking) return;
          asking = true;
          watch().then(
            (gone) => {
              asking = false;
              if (gone) this.settle(id, new WagateError('WAGATE_ERR_NODE_UNREACHABLE', gone));
            },
            () => (asking = false),
          );
        }, ro.watchMs ?? 5000);
      }
      this.pending.set(id, { resolve, reject, timer, watcher });
    });
    try {
      await this.notify(nodeId, payload);
    } catch (err) {
      this.settle(id, new WagateError('WAGATE_ERR_NODE_UNREACHABLE', `Could not carry ${method} to node ${nodeId}: ${(err as Error).message}`));
    }
    return answer;
  }

  /** Settle a pending request: with an error, or (err undefined) with `value`. */
  private settle(id: string, err: unknown, value?: unknown, streaming = false): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (p.watcher) clearInterval(p.watcher);
    if (err !== undefined || !streaming) this.closeSink(id);
    if (err !== undefined) p.reject(err);
    else p.resolve(value);
  }

  private openSink(id: string, nodeId: string, onEvent: (event: string, payload: unknown) => void, signal: AbortSignal | undefined): void {
    const onAbort = () => {
      this.closeSink(id);
      void this.notify(nodeId, JSON.stringify({ kind: 'cancel', id, from: this.opts.nodeId })).catch(() => undefined);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    this.sinks.set(id, { onEvent, off: () => signal?.removeEventListener('abort', onAbort) });
  }

  private closeSink(id: string): void {
    const sink = this.sinks.get(id);
    if (!sink) return;
    this.sinks.delete(id);
    sink.off();
  }

  private notify(nodeId: string, payload: string): Promise<unknown> {
    return this.client.query('SELECT pg_notify($1, $2)', [relayChannel(nodeId), payload]);
  }

  private onNotification(payload: string): void {
    let msg: Message;
    try {
      msg = JSON.parse(payload) as Message;
    } catch {
      return;
    }
    switch (msg.kind) {
      case 'res':
        if (msg.ok) this.settle(msg.id, undefined, msg.result, msg.streaming === true);
        else this.settle(msg.id, new WagateError((msg.error?.code ?? 'WAGATE_ERR_INTERNAL') as ErrorCode, msg.error?.message ?? 'failed on the owner node'));
        return;
      case 'evt': {
        const sink = this.sinks.get(msg.id);
        if (!sink) return;
        try {
          sink.onEvent(msg.event, msg.payload);
        } catch (err) {
          this.opts.logger.warn({ err, event: msg.event }, 'passing a carried event on failed');
        }
        return;
      }
      case 'end':
        this.closeSink(msg.id);
        return;
      case 'cancel':
        this.running.get(msg.id)?.abort();
        return;
      case 'req':
        if (RELAYED.has(msg.method)) void this.answer(msg);
        return;
    }
  }

  private async answer(req: Request): Promise<void> {
    const abort = new AbortController();
    this.running.set(req.id, abort);
    const stopIt = () => abort.abort();
    this.stopping.signal.addEventListener('abort', stopIt, { once: true });
    let streaming = false;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      this.running.delete(req.id);
      this.stopping.signal.removeEventListener('abort', stopIt);
      if (streaming) this.send(req, { kind: 'end', id: req.id });
    };
    const carried: CarriedCall = {
      from: req.from,
      emit: (event, payload) => {
        if (!ended) this.send(req, { kind: 'evt', id: req.id, event, payload } satisfies StreamEvent);
      },
      keepStreaming: () => void (streaming = true),
      end,
      signal: abort.signal,
    };
    let res: Response;
    try {
      res = { kind: 'res', id: req.id, ok: true, result: await this.opts.call(req.method, req.params, carried) };
      if (streaming && !ended) res.streaming = true;
    } catch (err) {
      const error = isWagateError(err) ? { code: err.code, message: err.message } : { code: 'WAGATE_ERR_INTERNAL', message: String((err as Error)?.message ?? err) };
      res = { kind: 'res', id: req.id, ok: false, error };
      streaming = false;
    }
    let payload = JSON.stringify(res);
    if (Buffer.byteLength(payload) > MAX_PAYLOAD) {
      payload = JSON.stringify({ kind: 'res', id: req.id, ok: false, error: { code: 'WAGATE_ERR_BAD_REQUEST', message: `The answer of node ${this.opts.nodeId} is too large to carry back; ask that node directly.` } } satisfies Response);
      streaming = false;
    }
    this.sendRaw(req, payload);
    if (!res.streaming) end();
  }

  /** Messages to one caller go out in order (one connection, queries queued). */
  private send(req: Request, msg: Message): void {
    const payload = JSON.stringify(msg);
    if (Buffer.byteLength(payload) > MAX_PAYLOAD) {
      this.opts.logger.warn({ method: req.method, to: req.from, kind: msg.kind }, 'a carried event is too large for a NOTIFY payload; dropped');
      return;
    }
    this.sendRaw(req, payload);
  }

  private sendRaw(req: Request, payload: string): void {
    if (this.closed) return;
    this.notify(req.from, payload).catch((err: unknown) =>
      this.opts.logger.warn({ err, method: req.method, to: req.from }, 'could not answer a carried control request'),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.stopping.abort();
    this.closed = true;
    for (const id of [...this.pending.keys()]) this.settle(id, new WagateError('WAGATE_ERR_GATEWAY_UNREACHABLE', 'The gateway is stopping.'));
    for (const id of [...this.sinks.keys()]) this.closeSink(id);
    await this.client.end().catch(() => undefined);
  }
}
