/**
 * The lease table of several gateway nodes on one PostgreSQL (issue 16): one row per
 * account (`leases`: owner node, expiry, fencing token) and one per live node
 * (`cluster_nodes`: its heartbeat). Plain SQL, each operation one statement; the node
 * logic that uses it (when to take, renew, shed, release) is src/cluster/lease-keeper.ts.
 *
 * - A lease is free when it has no owner or its expiry has passed; taking it sets the
 *   owner and the expiry and adds one to the token, so the token only grows and every
 *   owner of an account has a token no earlier owner had.
 * - Renewing and releasing name the token: a node that lost the lease (someone took it
 *   after it expired) renews or releases nothing.
 * - `check` is the fence every account write runs in its own transaction, before the
 *   write: the row must still be this node's with this token. It reads the row
 *   `FOR SHARE`: a take waits for the write in flight to commit, and a write after a
 *   take sees the new token and is refused (WAGATE_ERR_LEASE_LOST).
 * - Times are ms since the epoch from the nodes' own clocks (`now` is passed in), so
 *   the nodes' clocks must agree (NTP); a skew shortens or lengthens a lease by as much.
 */
import { WagateError } from '../errors.js';
import type { PgRunner, Queryable, Row } from './postgres-runner.js';

/** How long a take waits for a lease row another transaction holds locked. */
export const TAKE_LOCK_TIMEOUT_MS = 500;

export interface LeaseRow {
  accountId: string;
  owner: string | null;
  expiresAt: number;
  token: number;
}

export interface HeldLease {
  accountId: string;
  token: number;
}

export interface NodeRow {
  nodeId: string;
  capacity: number;
  seenAt: number;
}

export interface LeaseTable {
  /** A free row (token 0) for each account that has none. */
  ensure(accountIds: readonly string[]): Promise<void>;
  /** Record that `nodeId` is alive at `now`. */
  heartbeat(nodeId: string, capacity: number, now: number): Promise<void>;
  /** Every node that has a heartbeat row (live or not: a node that died keeps its row), by id. */
  nodes(): Promise<NodeRow[]>;
  /** Nodes whose heartbeat is younger than `leaseMs`. */
  liveNodes(now: number, leaseMs: number): Promise<NodeRow[]>;
  /** Remove a node's heartbeat (a clean stop). */
  forgetNode(nodeId: string): Promise<void>;
  /** Take the account's lease if it is free or expired: its new token, else null (a row locked past TAKE_LOCK_TIMEOUT_MS throws). */
  take(nodeId: string, accountId: string, now: number, leaseMs: number): Promise<number | null>;
  /** Extend the leases still `nodeId`'s with these tokens; resolves with the accounts renewed. */
  renew(nodeId: string, held: readonly HeldLease[], now: number, leaseMs: number): Promise<Set<string>>;
  /** Give leases back (free at once; tokens kept). */
  release(nodeId: string, held: readonly HeldLease[]): Promise<void>;
  /** Every lease row, by account. */
  list(): Promise<LeaseRow[]>;
}

export function leaseLostError(accountId: string, detail: string): WagateError {
  return new WagateError(
    'WAGATE_ERR_LEASE_LOST',
    `This node no longer owns account ${accountId} (${detail}); the write was refused and the account stops here (another node runs it).`,
  );
}

/** The fence: refuses (WAGATE_ERR_LEASE_LOST) unless the lease is `nodeId`'s with `token`. */
export async function checkLease(q: Queryable, nodeId: string, accountId: string, token: number): Promise<void> {
  const row = (await q.query('SELECT owner, token FROM leases WHERE account_id = $1 FOR SHARE', [accountId])).rows[0] as Row | undefined;
  if (!row) throw leaseLostError(accountId, 'no lease row');
  const current = Number(row.token);
  if (row.owner !== nodeId || current !== token) {
    throw leaseLostError(accountId, `lease token ${current} held by ${row.owner === null ? 'nobody' : String(row.owner)}, this node has token ${token}`);
  }
}

function leaseRow(r: Row): LeaseRow {
  return { accountId: String(r.account_id), owner: r.owner === null ? null : String(r.owner), expiresAt: Number(r.expires_at), token: Number(r.token) };
}

export function leases(r: PgRunner): LeaseTable {
  return {
    ensure: (accountIds) =>
      r.write('create lease rows', async (q) => {
        if (accountIds.length === 0) return;
        await q.query(
          'INSERT INTO leases (account_id, owner, expires_at, token) SELECT id, NULL, 0, 0 FROM unnest($1::text[]) AS id ON CONFLICT (account_id) DO NOTHING',
          [accountIds],
        );
      }),
    heartbeat: (nodeId, capacity, now) =>
      r.write('record the node heartbeat', async (q) => {
        await q.query(
          `INSERT INTO cluster_nodes (node_id, capacity, seen_at) VALUES ($1, $2, $3)
           ON CONFLICT (node_id) DO UPDATE SET capacity = EXCLUDED.capacity, seen_at = EXCLUDED.seen_at`,
          [nodeId, capacity, now],
        );
      }),
    nodes: () =>
      r.read('read the nodes', async (q) =>
        ((await q.query('SELECT node_id, capacity, seen_at FROM cluster_nodes ORDER BY node_id')).rows as Row[]).map((x) => ({
          nodeId: String(x.node_id),
          capacity: Number(x.capacity),
          seenAt: Number(x.seen_at),
        })),
      ),
    liveNodes: (now, leaseMs) =>
      r.read('read the live nodes', async (q) =>
        ((await q.query('SELECT node_id, capacity, seen_at FROM cluster_nodes WHERE seen_at > $1 ORDER BY node_id', [now - leaseMs])).rows as Row[]).map(
          (x) => ({ nodeId: String(x.node_id), capacity: Number(x.capacity), seenAt: Number(x.seen_at) }),
        ),
      ),
    forgetNode: (nodeId) =>
      r.write('remove the node heartbeat', async (q) => {
        await q.query('DELETE FROM cluster_nodes WHERE node_id = $1', [nodeId]);
      }),
    take: (nodeId, accountId, now, leaseMs) =>
      r.write('take a lease', async (q) => {
        // The row may be locked by a write of its old owner (the fence reads it FOR SHARE);
        // wait a moment, not forever: a frozen owner's transaction is ended by the server
        // (idle_in_transaction_session_timeout), and the next round tries again.
        await q.query(`SET LOCAL lock_timeout = '${TAKE_LOCK_TIMEOUT_MS}ms'`);
        const res = await q.query(
          `UPDATE leases SET owner = $2, expires_at = $3::bigint + $4::bigint, token = token + 1
           WHERE account_id = $1 AND (owner IS NULL OR expires_at <= $3::bigint) RETURNING token`,
          [accountId, nodeId, now, leaseMs],
        );
        const row = res.rows[0] as Row | undefined;
        return row ? Number(row.token) : null;
      }),
    renew: (nodeId, held, now, leaseMs) =>
      r.write('renew leases', async (q) => {
        if (held.length === 0) return new Set<string>();
        const res = await q.query(
          `UPDATE leases AS l SET expires_at = $4::bigint + $5::bigint
           FROM unnest($2::text[], $3::bigint[]) AS h(id, tok)
           WHERE l.account_id = h.id AND l.token = h.tok AND l.owner = $1 RETURNING l.account_id`,
          [nodeId, held.map((h) => h.accountId), held.map((h) => h.token), now, leaseMs],
        );
        return new Set((res.rows as Row[]).map((x) => String(x.account_id)));
      }),
    release: (nodeId, held) =>
      r.write('release leases', async (q) => {
        if (held.length === 0) return;
        await q.query(
          `UPDATE leases AS l SET owner = NULL, expires_at = 0
           FROM unnest($2::text[], $3::bigint[]) AS h(id, tok)
           WHERE l.account_id = h.id AND l.token = h.tok AND l.owner = $1`,
          [nodeId, held.map((h) => h.accountId), held.map((h) => h.token)],
        );
      }),
    list: () =>
      r.read('read the leases', async (q) => ((await q.query('SELECT * FROM leases ORDER BY account_id')).rows as Row[]).map(leaseRow)),
  };
}
