/**
 * Carrying requests with event streams (issue 16 item 3) on a real throwaway
 * PostgreSQL: the relay's events before and after the answer, the stream's end, the
 * caller going away (cancel), the owner found dead while a request waits (watch); and
 * a lease keeper taking an account no node holds at once, to link it (`takeNow`).
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { LeaseKeeper } from '../../src/cluster/lease-keeper.js';
import { ControlRelay, type CarriedCall } from '../../src/cluster/relay.js';
import { isWagateError } from '../../src/errors.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres.js';
import { postgresForFile, type PgServer } from '../helpers/postgres.js';
import { until } from '../helpers/until.js';

let server: PgServer;
postgresForFile((s) => (server = s));

const logger = pino({ level: 'silent' });
const code = (err: unknown) => (isWagateError(err) ? err.code : String(err));
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function relay(url: string, nodeId: string, call: (method: string, params: unknown, carried: CarriedCall) => Promise<unknown> = async () => null) {
  const r = await ControlRelay.start({ url, nodeId, logger, call, timeoutMs: 10_000 });
  closers.push(() => r.close());
  return r;
}

describe('the control relay: streams', () => {
  it('passes the owner\'s events to the caller before and after the answer, until the stream ends', async () => {
    const url = await server.createDatabase();
    let finish!: () => void;
    await relay(url, 'owner', async (method, params, carried) => {
      carried.emit('agent', { step: 'before the answer' });
      carried.keepStreaming();
      finish = () => {
        carried.emit('agent', { step: 'after the answer' });
        carried.emit('agent', { step: 'last' });
        carried.end();
        carried.emit('agent', { step: 'after the end: never seen' });
      };
      return { method, params };
    });
    const asker = await relay(url, 'asker');
    const events: unknown[] = [];
    const res = await asker.request('owner', 'agent', { message: 'hi' }, { onEvent: (event, payload) => events.push([event, payload]) });
    expect(res).toEqual({ method: 'agent', params: { message: 'hi' } });
    expect(events).toEqual([['agent', { step: 'before the answer' }]]);
    finish();
    await until(() => events.length === 3, 'the events after the answer');
    // A request after the end proves the owner's later NOTIFYs were delivered (one connection, in order).
    await asker.request('owner', 'send', {}).catch(() => undefined);
    expect(events.map((e) => (e as [string, { step: string }])[1].step)).toEqual(['before the answer', 'after the answer', 'last']);
  });

  it('without keepStreaming, nothing after the answer reaches the caller', async () => {
    const url = await server.createDatabase();
    let late!: () => void;
    await relay(url, 'owner', async (_m, _p, carried) => {
      late = () => carried.emit('x', 1);
      return 'done';
    });
    const asker = await relay(url, 'asker');
    const events: unknown[] = [];
    expect(await asker.request('owner', 'send', {}, { onEvent: (e) => events.push(e) })).toBe('done');
    late();
    expect(await asker.request('owner', 'send', {})).toBe('done');
    expect(events).toEqual([]);
  });

  it('the caller going away aborts the owner\'s call (cancel)', async () => {
    const url = await server.createDatabase();
    const aborted: string[] = [];
    await relay(url, 'owner', (method, _p, carried) => {
      return new Promise((_resolve, reject) => {
        carried.signal.addEventListener('abort', () => {
          aborted.push(method);
          reject(new Error('cancelled'));
        });
      });
    });
    const asker = await relay(url, 'asker');
    const client = new AbortController();
    const pending = asker
      .request('owner', 'login.wait', { accountId: 'a1' }, { onEvent: () => undefined, signal: client.signal, timeoutMs: 30_000 })
      .catch((e: unknown) => e);
    client.abort();
    await until(() => aborted.length === 1, 'the owner sees the cancel');
    expect(aborted).toEqual(['login.wait']);
    expect(code(await pending)).toBe('WAGATE_ERR_INTERNAL'); // the owner's call failed: its answer comes back
  });

  it('an owner found dead while a request waits fails it at once with WAGATE_ERR_NODE_UNREACHABLE and the watch\'s message', async () => {
    const url = await server.createDatabase();
    await relay(url, 'owner', () => new Promise(() => undefined)); // never answers (a frozen node)
    const asker = await relay(url, 'asker');
    let checks = 0;
    const err = await asker
      .request('owner', 'login.wait', {}, { timeoutMs: 600_000, watchMs: 50, watch: async () => (++checks >= 3 ? 'Node owner stopped answering.' : null) })
      .catch((e: unknown) => e);
    expect(code(err)).toBe('WAGATE_ERR_NODE_UNREACHABLE');
    expect((err as Error).message).toBe('Node owner stopped answering.');
    expect(checks).toBe(3);
  });
});

describe('a lease keeper taking an account at once, to link it (takeNow)', () => {
  const stores: PostgresStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  async function keeper(url: string, nodeId: string, accounts: string[], capacity: number, clock: { t: number }, busy?: (id: string) => boolean) {
    const store = await openPostgresStore({ url });
    stores.push(store);
    const started: string[] = [];
    const k = new LeaseKeeper({
      nodeId,
      capacity,
      leaseSeconds: 9,
      leases: store.leases,
      accounts,
      startAccount: async (id) => void started.push(id),
      stopAccount: async (id) => void started.splice(started.indexOf(id), 1),
      ...(busy ? { busy } : {}),
      logger,
      now: () => clock.t,
      timers: { setTimeout: () => 0, clearTimeout: () => undefined },
      random: () => 0,
    });
    return { k, started, store };
  }

  it('takes a free lease when the node has room and starts the account; refuses without room, for a held lease, and for an account not in its config', async () => {
    const url = await server.createDatabase();
    const clock = { t: 1_000_000 };
    const a = await keeper(url, 'a', ['a1', 'a2', 'a3'], 1, clock);
    await a.k.start(); // capacity 1: holds one account
    expect(a.started).toHaveLength(1);
    expect(a.k.hasRoom()).toBe(false);
    const free = ['a1', 'a2', 'a3'].filter((id) => !a.started.includes(id));
    expect(await a.k.takeNow(free[0]!)).toBeNull();

    const b = await keeper(url, 'b', ['a1', 'a2', 'a3'], 5, clock);
    // b has not run a round: its share is its capacity, room for all.
    expect(b.k.hasRoom()).toBe(true);
    expect(await b.k.takeNow(a.started[0]!)).toBeNull(); // held by a
    const token = await b.k.takeNow(free[0]!);
    expect(token).toBe(1);
    expect(b.started).toEqual([free[0]]);
    expect(b.k.holding().get(free[0]!)).toBe(1);
    expect(await b.k.takeNow(free[0]!)).toBe(1); // already here: its token, not taken again
    expect(b.started).toEqual([free[0]]);
    expect(code(await b.k.takeNow('other').catch((e: unknown) => e))).toBe('WAGATE_ERR_UNKNOWN_ACCOUNT');
    // the nodes table lists both (a heartbeat from a's round only)
    expect((await b.store.leases.nodes()).map((n) => [n.nodeId, n.capacity])).toEqual([['a', 1]]);
  });
});

describe('a lease keeper above its share', () => {
  it('gives back an account being linked last', async () => {
    const url = await server.createDatabase();
    const clock = { t: 2_000_000 };
    const stores: PostgresStore[] = [];
    closers.push(async () => void (await Promise.all(stores.map((s) => s.close()))));
    const make = async (nodeId: string, busy?: (id: string) => boolean) => {
      const store = await openPostgresStore({ url });
      stores.push(store);
      const running = new Set<string>();
      const k = new LeaseKeeper({
        nodeId,
        capacity: 10,
        leaseSeconds: 9,
        leases: store.leases,
        accounts: ['a1', 'a2'],
        startAccount: async (id) => void running.add(id),
        stopAccount: async (id) => void running.delete(id),
        ...(busy ? { busy } : {}),
        logger,
        now: () => clock.t,
        timers: { setTimeout: () => 0, clearTimeout: () => undefined },
        random: () => 0,
      });
      return { k, running };
    };
    const linking = new Set<string>();
    const a = await make('a', (id) => linking.has(id));
    await a.k.start(); // alone: both accounts
    expect([...a.running].sort()).toEqual(['a1', 'a2']);
    // The account it took last is the one it would give back — unless it is being linked.
    const last = [...a.k.holding().keys()].at(-1)!;
    linking.add(last);
    const b = await make('b');
    await b.k.start();
    clock.t += 1000;
    await a.k.tick(); // share 1: one goes back
    expect([...a.running]).toEqual([last]);
  });
});
