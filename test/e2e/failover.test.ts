/**
 * Failover proven (issue 16, "Tests and figures"): 30 accounts over three real
 * `wagate gateway` child processes on loopback, one throwaway PostgreSQL, one simulator.
 * The accounts are linked cheaply (bare Baileys clients scan their QRs, the creds are
 * imported into the store: test/helpers/cluster.ts), so the file's time goes to the nodes.
 *
 * - The three nodes spread the accounts 10/10/10 (a 440 while they start, from a node
 *   that missed its lease rounds under load, is counted and printed, not asserted).
 * - SIGKILL one: each of its 10 accounts logs in on another node within `leaseSeconds`
 *   + one lease round (a third of it) + one reconnect backoff step of the moment the
 *   simulator saw its old socket close — measured on the simulator's own timestamps;
 *   the simulator never saw two live connections of one account and sent no 440.
 * - SIGSTOP another past its lease, a message arriving on its frozen socket meanwhile:
 *   the last node takes its accounts (WhatsApp ends each frozen session with a 440, as
 *   the real one does) and answers the message once. SIGCONT: the woken node sends
 *   nothing on the stale sockets and writes nothing for the accounts it lost — a
 *   trigger records every write of an account's state with the writing node and the
 *   lease its transaction saw, and no node wrote an account it did not own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/validate.js';
import { startSimulator, type Simulator, type SimSessionRecord } from '../../src/sim/index.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres.js';
import type { SpawnedCli } from '../helpers/cli.js';
import { auditWrites, clusterAccounts, linkIntoStore, owners, startNode, type ClusterNode, type WriteAudit } from '../helpers/cluster.js';
import { postgresForFile, type PgServer } from '../helpers/postgres.js';
import { tmpDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';
import { textOf } from './harness.js';

const ACCOUNTS = clusterAccounts(30);
const LEASE_SECONDS = 10;
const { initialMs, jitter } = validateConfig({}, 'defaults').web.reconnect;
/**
 * Issue 16's bound: leaseSeconds plus one backoff step (the default first one, jitter
 * included). The other nodes look the moment the killed node's heartbeat goes stale —
 * when its leases run out — not at their next regular round (lease-keeper.ts).
 */
const BOUND_MS = LEASE_SECONDS * 1000 + initialMs * (1 + jitter);

let server: PgServer;
postgresForFile((s) => (server = s));

let sim: Simulator | null = null;
let store: PostgresStore | null = null;
let audit: WriteAudit | null = null;
const procs: SpawnedCli[] = [];
afterEach(async () => {
  for (const c of procs.splice(0)) {
    if (c.child.exitCode === null && c.child.signalCode === null) {
      c.child.kill('SIGCONT');
      c.child.kill('SIGKILL');
    }
    await c.exited;
  }
  await audit?.close();
  audit = null;
  await store?.close();
  store = null;
  await sim?.close();
  sim = null;
}, 60_000);

/** The account's session the simulator had open at this moment (login done, socket not closed). */
const openSession = (s: Simulator, user: string): { index: number; rec: SimSessionRecord } | null => {
  const log = s.sessionLog(user);
  const index = log.findIndex((r) => r.closedAt === undefined && r.endedAt === undefined);
  return index < 0 ? null : { index, rec: log[index]! };
};

/** Whether two logged-in connections of the account were open at once, the later one logged in at or after `since`. */
function overlapsSince(log: SimSessionRecord[], since: number): boolean {
  return log.some((later, i) => later.loginAt >= since && log.slice(0, i).some((earlier) => (earlier.closedAt ?? Infinity) > later.loginAt));
}

describe('failover: 30 accounts over 3 nodes', () => {
  it('spread 10/10/10; a killed node\'s accounts move within the bound, never twice connected; a paused node writes and sends nothing for what it lost', async () => {
    const url = await server.createDatabase();
    sim = await startSimulator({ port: 0, host: '127.0.0.1' });
    const s = sim;
    store = await openPostgresStore({ url });
    const st = store;
    await linkIntoStore(s, st, ACCOUNTS, tmpDir('auth'));
    await until(() => ACCOUNTS.every((a) => !s.hub.companions.get(a.user)?.online), 'every linking client gone');
    audit = await auditWrites(url);
    const writeAudit = audit;
    const linkSessions = Object.fromEntries(ACCOUNTS.map((a) => [a.id, s.sessionLog(a.user).length]));
    const conflictsAtStart = s.conflicts().length;

    const home = tmpDir('nodes');
    const nodes: ClusterNode[] = [];
    for (const id of ['n1', 'n2', 'n3']) {
      const n = await startNode({ nodeId: id, home: path.join(home, id), url, simUrl: s.url, versionUrl: s.versionUrl, accounts: ACCOUNTS, leaseSeconds: LEASE_SECONDS });
      procs.push(n.proc);
      nodes.push(n);
    }
    const [n1, n2, n3] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    const spread = await until(
      async () => {
        const by = owners(await st.leases.list());
        const even = nodes.every((n) => by[n.id]?.length === 10);
        return even && ACCOUNTS.every((a) => openSession(s, a.user) !== null) ? by : null;
      },
      'thirty accounts connected, ten on each node',
      120_000,
    );
    // While the nodes start and find their share, a node starting its accounts on a loaded
    // machine can miss its lease rounds past the lease, and another node then takes an
    // account it still has connected (a 440): counted and reported, not asserted (see
    // the README, "Several nodes"). From here on the nodes are settled.
    const startupConflicts = s.conflicts().length - conflictsAtStart;
    if (startupConflicts > 0) console.info(`failover test: ${startupConflicts} accounts replaced (440) while the three nodes started`);
    const settledAt = Date.now();
    const settledConflicts = s.conflicts().length;

    // SIGKILL n1: each of its accounts logs in elsewhere within the bound.
    const killed = spread.n1!;
    const before = Object.fromEntries(killed.map((id) => [id, openSession(s, ACCOUNTS.find((a) => a.id === id)!.user)!.index]));
    n1.proc.child.kill('SIGKILL');
    await n1.proc.exited;
    await until(
      async () => {
        const by = owners(await st.leases.list());
        return by.n2?.length === 15 && by.n3?.length === 15 && ACCOUNTS.every((a) => openSession(s, a.user) !== null);
      },
      "n1's accounts connected on n2 and n3",
      60_000,
    );
    const gaps: number[] = [];
    for (const id of killed) {
      const user = ACCOUNTS.find((a) => a.id === id)!.user;
      const log = s.sessionLog(user);
      const old = log[before[id]!]!;
      const next = log[before[id]! + 1]!;
      expect(old.endedAt, `${id}: the killed node's session was not ended by the simulator`).toBeUndefined();
      gaps.push(next.loginAt - old.closedAt!);
    }
    console.info(`failover gaps (ms, socket closed → login elsewhere), bound ${BOUND_MS}: ${gaps.sort((a, b) => a - b).join(' ')}`);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(BOUND_MS);
    const overlapping = ACCOUNTS.filter((a) => overlapsSince(s.sessionLog(a.user), settledAt));
    const detail = JSON.stringify({ settledAt, killed, conflicts: s.conflicts().slice(settledConflicts), logs: overlapping.map((a) => [a.id, s.sessionLog(a.user)]) });
    expect(overlapping.map((a) => a.id), detail).toEqual([]);
    expect(s.conflicts().slice(settledConflicts)).toEqual([]);

    // SIGSTOP n2 past its lease; a message reaches one of its accounts on the frozen socket.
    const paused = owners(await st.leases.list()).n2!;
    const pausedUsers = paused.map((id) => ACCOUNTS.find((a) => a.id === id)!.user);
    const frozen = Object.fromEntries(pausedUsers.map((u) => [u, openSession(s, u)!.index]));
    n2.proc.child.kill('SIGSTOP');
    const target = ACCOUNTS.find((a) => a.id === paused[0])!;
    const kim = s.contact('+15557770001', { name: 'Kim', to: target.e164 });
    await kim.send('while n2 sleeps');
    await until(
      async () => {
        const leases = await st.leases.list();
        return paused.every((id) => leases.find((l) => l.accountId === id)!.owner === 'n3') && pausedUsers.every((u) => (openSession(s, u)?.index ?? -1) > frozen[u]!);
      },
      "n2's accounts connected on n3",
      60_000,
    );
    // WhatsApp ended each frozen session once, with 440, when n3 logged in; nothing else was replaced.
    const replaced = s.conflicts().slice(settledConflicts);
    expect(replaced.map((c) => c.user).sort()).toEqual([...pausedUsers].sort());
    expect(replaced.every((c) => c.code === 440 && c.why === 'replaced')).toBe(true);
    // A message sent after the takeover is answered by n3.
    const lee = s.contact('+15557770003', { name: 'Lee', to: target.e164 });
    await lee.send('after the takeover');
    await until(() => lee.inbox.map(textOf).includes('echo: after the takeover'), 'the reply while n2 is paused (from n3)', 30_000);
    // The message that reached n2's frozen socket was never acknowledged: WhatsApp hands it
    // to n3's connection, and n3 answers it (its catch-up window counts from when n2 last
    // had the account connected, read when n3 took the lease).
    await until(() => kim.inbox.map(textOf).includes('echo: while n2 sleeps'), 'the message sent to the frozen node, answered by n3', 30_000);
    const takeoverAt = Math.max(...pausedUsers.map((u) => openSession(s, u)!.rec.loginAt));
    const contAt = Date.now();

    n2.proc.child.kill('SIGCONT');
    await until(
      async () => {
        const log = await n2.log();
        return paused.every((id) => log.includes(`lost account ${id}:`));
      },
      'n2 logging that it lost its accounts',
      30_000,
    );
    // It rejoins: 15/15 again, every account connected once.
    await until(
      async () => {
        const by = owners(await st.leases.list());
        return by.n2?.length === 15 && by.n3?.length === 15 && ACCOUNTS.every((a) => openSession(s, a.user) !== null);
      },
      'fifteen accounts on each of n2 and n3 again',
      60_000,
    );
    // Nothing came from the woken node's stale sockets: each frozen session's socket is
    // closed and the simulator received no stanza on it after it ended it.
    await until(() => pausedUsers.every((u) => s.sessionLog(u)[frozen[u]!]!.closedAt !== undefined), 'the stale sockets closed');
    const stale = Object.fromEntries(pausedUsers.map((u) => [u, s.sessionLog(u)[frozen[u]!]!.afterEnd]).filter(([, t]) => Object.keys(t as object).length > 0));
    expect.soft(stale).toEqual({});
    // No more 440s: the woken node never reconnected on its old lease.
    expect.soft(s.conflicts().slice(settledConflicts)).toHaveLength(pausedUsers.length);
    expect.soft(ACCOUNTS.filter((a) => !paused.includes(a.id) && overlapsSince(s.sessionLog(a.user), settledAt)).map((a) => a.id)).toEqual([]);

    // Nothing was written by a node that did not hold the account's lease, and the woken
    // node wrote nothing for the accounts it lost until it took one back with a new token.
    expect.soft(await writeAudit.violations()).toEqual([]);
    const writes = await writeAudit.writes();
    const byN2AfterWake = writes.filter((w) => w.app === 'wagate-n2' && paused.includes(w.accountId) && w.at >= contAt);
    const leases = await st.leases.list();
    for (const w of byN2AfterWake) {
      expect.soft(w.owner).toBe('n2');
      expect.soft(w.token).toBe(leases.find((l) => l.accountId === w.accountId)!.token);
    }
    expect(writes.filter((w) => w.app === 'wagate-n3' && paused.includes(w.accountId) && w.at >= takeoverAt).length).toBeGreaterThan(0);

    // Every message answered exactly once, also one sent after the wake-up.
    const max = s.contact('+15557770002', { name: 'Max', to: target.e164 });
    await max.send('after the wake-up');
    await until(() => max.inbox.map(textOf).includes('echo: after the wake-up'), 'the reply after the wake-up', 30_000);
    // Exactly once, also after n2 woke up with it in its socket buffer.
    expect(kim.inbox.map(textOf).filter((t) => t === 'echo: while n2 sleeps')).toHaveLength(1);
    expect(lee.inbox.map(textOf).filter((t) => t === 'echo: after the takeover')).toHaveLength(1);
    const n2Log = await n2.log();
    console.info(`failover test: WAGATE_ERR_LEASE_LOST in the woken node's log ${n2Log.split('WAGATE_ERR_LEASE_LOST').length - 1} time(s)`);
    expect(max.inbox.map(textOf).filter((t) => t === 'echo: after the wake-up')).toHaveLength(1);
    for (const a of ACCOUNTS) expect(s.sessionLog(a.user).length).toBeGreaterThan(linkSessions[a.id]!);
    expect(fs.existsSync(n3.logFile)).toBe(true);
  }, 300_000);
});
