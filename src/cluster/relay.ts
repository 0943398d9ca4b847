/**
 * Carrying a control request to the node that runs its account (issue 16 item 3, in
 * part): PostgreSQL LISTEN/NOTIFY on the database the nodes share, no transport of our
 * own. Each node listens on its channel (`wagate_node_<nodeId>`) on one dedicated
 * connection; a request is `{ kind: "req", id, from, method, params }` sent with
 * `pg_notify` to the owner's channel, the owner runs the method as if a local client
 * had called it and answers `{ kind: "res", id, ok, result | error }` on the caller's
 * channel.
 *
 * Carried methods (`RELAYED`): `send`, `react`, `logout`, `account.reconnect` — one
 * request, one answer, no event stream. NOTIFY payloads are limited to 8000 bytes: a
 * larger request or answer is refused with WAGATE_ERR_BAD_REQUEST, naming the node to
 * ask instead. No answer within `timeoutMs` is WAGATE_ERR_GATEWAY_UNREACHABLE.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import { isWagateError, WagateError, type ErrorCode } from '../errors.js';

export const RELAYED = new Set(['send', 'react', 'logout', 'account.reconnect']);
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
}

export interface RelayOptions {
  url: string;
  nodeId: string;
  /** Run a method here, for a request another node carried. */
  call(method: string, params: unknown): Promise<unknown>;
  logger: Logger;
  timeoutMs?: number;
}

export class ControlRelay {
  private readonly pending = new Map<string, { resolve(v: unknown): void; reject(e: unknown): void; timer: ReturnType<typeof setTimeout> }>();
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
  async request(nodeId: string, method: string, params: unknown): Promise<unknown> {
    const id = randomUUID();
    const payload = JSON.stringify({ kind: 'req', id, from: this.opts.nodeId, method, params } satisfies Request);
    if (Buffer.byteLength(payload) > MAX_PAYLOAD) {
      throw new WagateError('WAGATE_ERR_BAD_REQUEST', `The request is too large to carry to node ${nodeId}, which runs the account; send it to that node's control port.`);
    }
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new WagateError('WAGATE_ERR_GATEWAY_UNREACHABLE', `Node ${nodeId}, which runs the account, did not answer ${method} in time.`));
      }, this.opts.timeoutMs ?? 60_000);
      this.pending.set(id, { resolve, reject, timer });
    });
    try {
      await this.client.query('SELECT pg_notify($1, $2)', [relayChannel(nodeId), payload]);
    } catch (err) {
      const p = this.pending.get(id);
      if (p) clearTimeout(p.timer);
      this.pending.delete(id);
      throw new WagateError('WAGATE_ERR_GATEWAY_UNREACHABLE', `Could not carry ${method} to node ${nodeId}: ${(err as Error).message}`);
    }
    return answer;
  }

  private onNotification(payload: string): void {
    let msg: Request | Response;
    try {
      msg = JSON.parse(payload) as Request | Response;
    } catch {
      return;
    }
    if (msg.kind === 'res') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new WagateError((msg.error?.code ?? 'WAGATE_ERR_INTERNAL') as ErrorCode, msg.error?.message ?? 'failed on the owner node'));
      return;
    }
    if (msg.kind === 'req' && RELAYED.has(msg.method)) void this.answer(msg);
  }

  private async answer(req: Request): Promise<void> {
    let res: Response;
    try {
      res = { kind: 'res', id: req.id, ok: true, result: await this.opts.call(req.method, req.params) };
    } catch (err) {
      const error = isWagateError(err) ? { code: err.code, message: err.message } : { code: 'WAGATE_ERR_INTERNAL', message: String((err as Error)?.message ?? err) };
      res = { kind: 'res', id: req.id, ok: false, error };
    }
    let payload = JSON.stringify(res);
    if (Buffer.byteLength(payload) > MAX_PAYLOAD) {
      payload = JSON.stringify({ kind: 'res', id: req.id, ok: false, error: { code: 'WAGATE_ERR_BAD_REQUEST', message: `The answer of node ${this.opts.nodeId} is too large to carry back; ask that node directly.` } } satisfies Response);
    }
    if (this.closed) return;
    await this.client.query('SELECT pg_notify($1, $2)', [relayChannel(req.from), payload]).catch((err: unknown) =>
      this.opts.logger.warn({ err, method: req.method, to: req.from }, 'could not answer a carried control request'),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new WagateError('WAGATE_ERR_GATEWAY_UNREACHABLE', 'The gateway is stopping.'));
      this.pending.delete(id);
    }
    await this.client.end().catch(() => undefined);
  }
}
