/**
 * Leases with fencing (issue 16) on a real throwaway PostgreSQL: the lease table
 * (take, renew, expire, steal with a higher token, release), the fence refusing a
 * write after a steal, and two lease keepers sharing accounts fairly, driven round by
 * round on an injected clock.
 */
import pg from 'pg';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { LeaseKeeper } from '../../src/cluster/lease-keeper.js';
import { ControlRelay } from '../../src/cluster/relay.js';
import { isWagateError, WagateError } from '../../src/errors.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres.js';
import type { Queryable } from '../../src/store/postgres-runner.js';
import { postgresForFile, type PgServer } from '../helpers/postgres.js';
import { until } from '../helpers/until.js';

let server: PgServer;
postgresForFile((s) => (server = s));

const LEASE_MS = 9000;
const stores: PostgresStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

/** A store on `url` whose account writes go through `fence()` (set later, as the keeper needs the store). */
async function fencedStore(url: string) {
  let fence: ((q: Queryable, accountId: string) => Promise<void>) | undefined;
  const store = await openPostgresStore({ url, fence: (q, id) => (fence ? fence(q, id) : Promise.resolve()) });
  stores.push(store);
  return { store, setFence: (f: typeof fence) => (fence = f) };
}

const code = (err: unknown) => (isWagateError(err) ? err.code : String(err));

describe('the lease table', () => {
  it('takes a free lease, refuses a held one, renews only for the owner and its token', async () => {
    const { store } = await fencedStore(await server.createDatabase());
    const t = store.leases;
    await t.ensure(['a1']);
    expect(await t.take('n1', 'a1', 1000, LEASE_MS)).toBe(1);
    expect(await t.take('n2', 'a1', 2000, LEASE_MS)).toBeNull();
    expect(await t.renew('n1', [{ accountId: 'a1', token: 1 }], 4000, LEASE_MS)).toEqual(new Set(['a1']));
    expect(await t.renew('n2', [{ accountId: 'a1', token: 1 }], 4000, LEASE_MS)).toEqual(new Set());
    expect(await t.renew('n1', [{ accountId: 'a1', token: 7 }], 4000, LEASE_MS)).toEqual(new Set());
    expect(await t.list()).toEqual([{ accountId: 'a1', owner: 'n1', expiresAt: 4000 + LEASE_MS, token: 1 }]);
    // ensure() again keeps the row as it is.
    await t.ensure(['a1', 'a2']);
    expect((await t.list()).map((l) => [l.accountId, l.owner, l.token])).toEqual([
      ['a1', 'n1', 1],
      ['a2', null, 0],
    ]);
  });

  it('an expired lease is taken by another node with a higher token; the old owner renews nothing', async () => {
    const { store } = await fencedStore(await server.createDatabase());
    const t = store.leases;
    await t.ensure(['a1']);
    expect(await t.take('n1', 'a1', 1000, LEASE_MS)).toBe(1);
    expect(await t.take('n2', 'a1', 1000 + LEASE_MS - 1, LEASE_MS)).toBeNull();
    expect(await t.take('n2', 'a1', 1000 + LEASE_MS, LEASE_MS)).toBe(2);
    expect(await t.renew('n1', [{ accountId: 'a1', token: 1 }], 1000 + LEASE_MS, LEASE_MS)).toEqual(new Set());
    // n1 releasing its old token gives nothing back.
    await t.release('n1', [{ accountId: 'a1', token: 1 }]);
    expect((await t.list())[0]).toMatchObject({ owner: 'n2', token: 2 });
  });

  it('a released lease is free at once and its token still grows', async () => {
    const { store } = await fencedStore(await server.createDatabase());
    const t = store.leases;
    await t.ensure(['a1']);
    expect(await t.take('n1', 'a1', 1000, LEASE_MS)).toBe(1);
    await t.release('n1', [{ accountId: 'a1', token: 1 }]);
    expect((await t.list())[0]).toMatchObject({ owner: null, token: 1 });
    expect(await t.take('n2', 'a1', 1001, LEASE_MS)).toBe(2);
  });

  it('live nodes are those with a heartbeat younger than the lease', async () => {
    const { store } = await fencedStore(await server.createDatabase());
    const t = store.leases;
    await t.heartbeat('n1', 10, 1000);
    await t.heartbeat('n2', 5, 5000);
    expect((await t.liveNodes(1000 + LEASE_MS, LEASE_MS)).map((n) => n.nodeId)).toEqual(['n2']);
    expect((await t.liveNodes(5000, LEASE_MS)).map((n) => [n.nodeId, n.capacity])).toEqual([
      ['n1', 10],
      ['n2', 5],
    ]);
    await t.forgetNode('n2');
    expect((await t.liveNodes(5000, LEASE_MS)).map((n) => n.nodeId)).toEqual(['n1']);
  });
});

/** A keeper on its own fenced store, on a shared injected clock; rounds run only when the test calls tick(). */
async function node(url: string, nodeId: string, accounts: string[], clock: { t: number }, capacity = 100) {
  const { store, setFence } = await fencedStore(url);
  const running = new Set<string>();
  const stops: string[] = [];
  const keeper = new LeaseKeeper({
    nodeId,
    capacity,
    leaseSeconds: LEASE_MS / 1000,
    leases: store.leases,
    accounts,
    startAccount: async (id) => void running.add(id),
    stopAccount: async (id, reason) => {
      running.delete(id);
      stops.push(`${id}:${reason}`);
    },
    logger: pino({ level: 'silent' }),
    now: () => clock.t,
    timers: { setTimeout: () => 0, clearTimeout: () => undefined },
    random: () => 0,
  });
  setFence(keeper.fence);
  return { store, keeper, running, stops };
}

describe('a frozen writer', () => {
  it('holding a lease row locked does not stall a take: it fails after a moment and succeeds once the lock is gone', async () => {
    const url = await server.createDatabase();
    const { store } = await fencedStore(url);
    await store.leases.ensure(['a1']);
    expect(await store.leases.take('n1', 'a1', 1000, LEASE_MS)).toBe(1);
    // node n1's write in flight: the fence's FOR SHARE lock, its transaction not ended.
    const frozen = new pg.Client({ connectionString: url });
    await frozen.connect();
    try {
      await frozen.query('BEGIN');
      await frozen.query("SELECT token FROM leases WHERE account_id = 'a1' FOR SHARE");
      const err = await store.leases.take('n2', 'a1', 1000 + LEASE_MS, LEASE_MS).catch((e: unknown) => e);
      expect(code(err)).toBe('WAGATE_ERR_STORE');
      expect(String((err as Error).message)).toMatch(/lock/i);
      await frozen.query('COMMIT');
    } finally {
      await frozen.end();
    }
    expect(await store.leases.take('n2', 'a1', 1000 + LEASE_MS, LEASE_MS)).toBe(2);
  });

  it('a transaction left idle past idleInTransactionTimeoutMs is ended by the server: the call fails, the process lives, the store still works', async () => {
    const url = await server.createDatabase();
    const store = await openPostgresStore({ url, idleInTransactionTimeoutMs: 300 });
    stores.push(store);
    const idleInTx = async () =>
      Number((await server.admin("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE application_name = 'wagate' AND state = 'idle in transaction'")).rows[0].n);
    const result = store.transaction(async (tx) => {
      await tx.connections.update('a1', { linkedAt: 1 });
      // Frozen here (as a paused node): the server sees the session idle in its transaction, then ends it.
      await until(async () => (await idleInTx()) === 1, 'the session idle in its transaction');
      await until(async () => (await idleInTx()) === 0, 'the server ending the idle transaction');
      await tx.connections.update('a1', { linkedAt: 2 });
    });
    expect(code(await result.catch((e: unknown) => e))).toBe('WAGATE_ERR_STORE');
    expect(await store.connections.get('a1')).toBeUndefined();
    await store.connections.update('a1', { linkedAt: 3 });
    expect((await store.connections.get('a1'))?.linkedAt).toBe(3);
  });
});

describe('lease keepers', () => {
  const ACCOUNTS = ['a1', 'a2', 'a3', 'a4'];

  it('share the accounts fairly, hand extras over, and take a paused node\'s accounts after expiry; its writes are then refused', async () => {
    const url = await server.createDatabase();
    const clock = { t: 1_000_000 };
    const a = await node(url, 'node-a', ACCOUNTS, clock);
    const b = await node(url, 'node-b', ACCOUNTS, clock);

    await a.keeper.start(); // alone: takes everything
    expect([...a.running].sort()).toEqual(ACCOUNTS);
    await b.keeper.start(); // two live nodes: share 2, but nothing is free yet
    expect(b.running.size).toBe(0);
    clock.t += 1000;
    await a.keeper.tick(); // gives two back (sockets closed first, then the leases released)
    expect(a.running.size).toBe(2);
    expect(a.stops.every((s) => s.endsWith(':lease given back'))).toBe(true);
    await b.keeper.tick();
    expect(b.running.size).toBe(2);
    expect(new Set([...a.running, ...b.running])).toEqual(new Set(ACCOUNTS));

    // Both write their own accounts; neither may write the other's.
    const [aOwn] = [...a.running];
    const [bOwn] = [...b.running];
    await a.store.connections.update(aOwn!, { linkedAt: 1 });
    await b.store.connections.update(bOwn!, { linkedAt: 2 });
    expect(code(await b.store.connections.update(aOwn!, { linkedAt: 3 }).catch((e: unknown) => e))).toBe('WAGATE_ERR_LEASE_LOST');
    expect((await a.store.connections.get(aOwn!))?.linkedAt).toBe(1);

    // node-a is paused (no rounds) past its lease; node-b renews its own and takes node-a's.
    const tokensBefore = a.keeper.holding();
    clock.t += LEASE_MS + 1;
    await b.keeper.tick();
    expect([...b.running].sort()).toEqual(ACCOUNTS);
    const leases = await b.keeper.list();
    for (const [id, token] of tokensBefore) expect(leases.find((l) => l.accountId === id)).toMatchObject({ owner: 'node-b', here: true, token: token + 1 });

    // node-a wakes up; before its timer runs it tries to write an account it lost: refused, nothing written, the account stopped.
    a.stops.length = 0;
    const err = await a.store.connections.update(aOwn!, { linkedAt: 99 }).catch((e: unknown) => e);
    expect(code(err)).toBe('WAGATE_ERR_LEASE_LOST');
    expect((await b.store.connections.get(aOwn!))?.linkedAt).toBe(1);
    await until(() => a.stops.includes(`${aOwn}:lease lost`), 'node-a stopping the account it lost');
    await a.keeper.tick(); // the rest run out by node-a's own clock
    expect(a.running.size).toBe(0);
    expect(a.keeper.holding().size).toBe(0);
    // node-b's writes go through with its new tokens.
    await b.store.connections.update(aOwn!, { linkedAt: 5 });
    expect((await b.store.connections.get(aOwn!))?.linkedAt).toBe(5);
  });

  it('a killed node\'s accounts are taken when its heartbeat goes stale, not up to a round later', async () => {
    const url = await server.createDatabase();
    const clock = { t: 2_000_000 };
    const a = await node(url, 'node-a', ACCOUNTS, clock);
    const b = await node(url, 'node-b', ACCOUNTS, clock);
    await a.keeper.start();
    await b.keeper.start();
    clock.t += 1000;
    await a.keeper.tick(); // hands two over
    await b.keeper.tick();
    const lastA = clock.t; // node-a's last round (heartbeat and renewals): it is killed right after it
    await a.keeper.tick();
    expect(a.running.size).toBe(2);
    // node-b's regular round, most of a lease later: node-a's heartbeat goes stale within it.
    clock.t = lastA + LEASE_MS - LEASE_MS / 6;
    await b.keeper.tick();
    expect(b.running.size).toBe(2);
    const wait = b.keeper.nextRoundInMs();
    expect(wait).toBe(LEASE_MS / 6 + 50);
    expect(wait).toBeLessThan(b.keeper.intervalMs);
    clock.t += wait; // that round takes node-a's accounts: their leases ran out with its heartbeat
    await b.keeper.tick();
    expect([...b.running].sort()).toEqual(ACCOUNTS);
    expect(b.keeper.nextRoundInMs()).toBe(b.keeper.intervalMs); // no other node: the regular pace
  });

  it('the fence refuses a write whose lease was stolen even while the old owner still thinks it holds it', async () => {
    const url = await server.createDatabase();
    const clock = { t: 2_000_000 };
    const a = await node(url, 'node-a', ['a1'], clock);
    await a.keeper.start();
    expect(a.keeper.holds('a1')).toBe(true);
    // Another node steals it out from under node-a (node-a's clock did not move: no local expiry).
    const { store: other } = await fencedStore(url);
    await other.leases.take('node-x', 'a1', clock.t + LEASE_MS, LEASE_MS);
    const err = await a.store.transaction(async (tx) => {
      await tx.connections.update('a1', { linkedAt: 7 });
    }).catch((e: unknown) => e);
    expect(code(err)).toBe('WAGATE_ERR_LEASE_LOST');
    expect(await a.store.connections.get('a1')).toBeUndefined();
    await until(() => a.stops.includes('a1:lease lost'), 'node-a stopping a1');
    expect(a.keeper.holds('a1')).toBe(false);
  });

  it('stop then release gives every lease back at once; another node takes them on its next round', async () => {
    const url = await server.createDatabase();
    const clock = { t: 3_000_000 };
    const a = await node(url, 'node-a', ['a1', 'a2'], clock);
    const b = await node(url, 'node-b', ['a1', 'a2'], clock, 1);
    await a.keeper.start();
    await b.keeper.start();
    expect(b.running.size).toBe(0);
    a.keeper.stop();
    await a.keeper.release();
    await b.keeper.tick(); // capacity 1
    expect(b.running.size).toBe(1);
    const leases = await b.keeper.list();
    expect(leases.filter((l) => l.owner === 'node-b').map((l) => l.token)).toEqual([2]);
    expect(leases.filter((l) => l.owner === null)).toHaveLength(1);
    expect(leases.some((l) => l.owner === 'node-a')).toBe(false);
  });

  it('a round does not wait for the accounts it took to start: the next round renews them while they are still connecting', async () => {
    const url = await server.createDatabase();
    const clock = { t: 4_000_000 };
    const { store, setFence } = await fencedStore(url);
    const starting: string[] = [];
    const keeper = new LeaseKeeper({
      nodeId: 'slow',
      capacity: 10,
      leaseSeconds: LEASE_MS / 1000,
      leases: store.leases,
      accounts: ['a1', 'a2', 'a3'],
      // A start that never ends (a connect under heavy load).
      startAccount: (id) => {
        starting.push(id);
        return new Promise<void>(() => undefined);
      },
      stopAccount: async () => undefined,
      logger: pino({ level: 'silent' }),
      now: () => clock.t,
      timers: { setTimeout: () => 0, clearTimeout: () => undefined },
      random: () => 0,
    });
    setFence(keeper.fence);
    await keeper.start();
    expect(starting.sort()).toEqual(['a1', 'a2', 'a3']);
    // Most of the lease later, the starts still pending: the next round renews all three.
    clock.t += LEASE_MS - 2000;
    await keeper.tick();
    const leases = await store.leases.list();
    expect(leases.map((l) => [l.accountId, l.owner, l.expiresAt])).toEqual(['a1', 'a2', 'a3'].map((id) => [id, 'slow', clock.t + LEASE_MS]));
    expect([...keeper.holding().keys()].sort()).toEqual(['a1', 'a2', 'a3']);
  });
});

describe('the control relay (LISTEN/NOTIFY)', () => {
  it('carries a request to the owner node and its answer or error back; refuses an oversized request; times out on a node nobody runs', async () => {
    const url = await server.createDatabase();
    const calls: Array<[string, unknown]> = [];
    const logger = pino({ level: 'silent' });
    const owner = await ControlRelay.start({
      url,
      nodeId: 'owner',
      logger,
      call: async (method, params) => {
        calls.push([method, params]);
        if ((params as { fail?: boolean }).fail) throw new WagateError('WAGATE_ERR_NO_LISTENER', 'not connected here');
        return { ok: method };
      },
    });
    const asker = await ControlRelay.start({ url, nodeId: 'asker', logger, call: async () => null, timeoutMs: 500 });
    try {
      expect(await asker.request('owner', 'send', { accountId: 'a1', to: '+1555', text: 'hi' })).toEqual({ ok: 'send' });
      expect(calls).toEqual([['send', { accountId: 'a1', to: '+1555', text: 'hi' }]]);
      expect(code(await asker.request('owner', 'logout', { fail: true }).catch((e: unknown) => e))).toBe('WAGATE_ERR_NO_LISTENER');
      // Methods that are not carried are not run on the owner.
      expect(code(await asker.request('owner', 'config.get', {}).catch((e: unknown) => e))).toBe('WAGATE_ERR_NODE_UNREACHABLE');
      expect(code(await asker.request('owner', 'send', { text: 'x'.repeat(9000) }).catch((e: unknown) => e))).toBe('WAGATE_ERR_BAD_REQUEST');
      expect(code(await asker.request('nobody', 'send', {}).catch((e: unknown) => e))).toBe('WAGATE_ERR_NODE_UNREACHABLE');
      expect(calls).toHaveLength(2);
    } finally {
      await asker.close();
      await owner.close();
    }
  });
});
