/**
 * Benchmark (issue 16): how long a dead node's accounts stay offline. Three
 * `wagate gateway` nodes (child processes, test/helpers/cluster.ts) share a throwaway
 * local PostgreSQL (fsync on) and one simulator; K accounts, linked once and imported
 * into the store. Each round: wait until the accounts are spread evenly and all
 * connected, SIGKILL the node that runs the first account, and time — on the
 * simulator's clock — from the kill until every one of its accounts has logged in on
 * another node (per account, and the whole set); then start a fresh node in its place
 * for the next round. Expected: about `leaseSeconds` (the killed leases expire) plus up
 * to a third of it (the next lease round of the others) plus the connect itself.
 *
 *   npx tsx bench/failover.ts [accounts=12] [rounds=3] [leaseSeconds=10]
 *   (`npm run bench -- failover`: --accounts N capped at 15 (default 15), --rounds, WAGATE_BENCH_LEASE_SECONDS)
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startSimulator, type Simulator } from '../src/sim/index.js';
import { openPostgresStore, type PostgresStore } from '../src/store/postgres.js';
import { clusterAccounts, linkIntoStore, owners, startNode, type ClusterAccount, type ClusterNode } from '../test/helpers/cluster.js';
import { runIfMain } from './main.js';
import { median } from './pipeline-stats.js';
import { benchPostgres } from './pipeline.js';
import { formatTable } from './table.js';

export interface FailoverRound {
  /** Accounts the killed node ran. */
  moved: number;
  /** Kill → the last of them logged in elsewhere (ms). */
  allMs: number;
  /** Kill → each one logged in elsewhere (ms). */
  perAccountMs: number[];
  /** Conflicts (440) the simulator sent during the round: two live connections of one account. */
  conflicts: number;
}

export interface FailoverResult {
  accounts: number;
  leaseSeconds: number;
  rounds: FailoverRound[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(fn: () => Promise<T | null | false> | T | null | false, what: string, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`failover: timed out waiting for ${what}`);
    await sleep(20);
  }
}

const openSession = (sim: Simulator, user: string) => sim.sessionLog(user).findIndex((r) => r.closedAt === undefined && r.endedAt === undefined);

export function p90(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.9 * s.length) - 1)] ?? Number.NaN;
}

export async function benchFailover({ accounts: k = 12, rounds = 3, leaseSeconds = 10 } = {}): Promise<FailoverResult> {
  const sim = await startSimulator({ port: 0, host: '127.0.0.1' });
  const pgServer = await benchPostgres();
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'wagate-bench-failover-'));
  const nodes: ClusterNode[] = [];
  let store: PostgresStore | null = null;
  try {
    const url = await pgServer.createDatabase();
    store = await openPostgresStore({ url });
    const st = store;
    const accounts = clusterAccounts(k);
    await linkIntoStore(sim, st, accounts, path.join(home, 'auth'));
    await until(() => accounts.every((a) => !sim.hub.companions.get(a.user)?.online), 'the linking clients to go');
    let seq = 0;
    const start = async (): Promise<ClusterNode> => {
      const nodeId = `n${++seq}`;
      const n = await startNode({ nodeId, home: path.join(home, nodeId), url, simUrl: sim.url, versionUrl: sim.versionUrl, accounts, leaseSeconds });
      nodes.push(n);
      return n;
    };
    const live: ClusterNode[] = [await start(), await start(), await start()];
    const out: FailoverRound[] = [];
    const share = Math.ceil(k / 3);
    for (let r = 0; r < rounds; r++) {
      const spread = await until(
        async () => {
          const by = owners(await st.leases.list());
          const even = live.every((n) => (by[n.id]?.length ?? 0) >= share - 1 && (by[n.id]?.length ?? 0) <= share);
          return even && accounts.every((a) => openSession(sim, a.user) >= 0) ? by : null;
        },
        `round ${r + 1}: ${k} accounts spread over 3 nodes and connected`,
      );
      const victim = live.find((n) => spread[n.id]?.includes(accounts[0]!.id))!;
      const moved = spread[victim.id]!.map((id) => accounts.find((a) => a.id === id)!) as ClusterAccount[];
      const before = new Map(moved.map((a) => [a.id, openSession(sim, a.user)]));
      const conflictsBefore = sim.conflicts().length;
      const killedAt = Date.now();
      victim.proc.child.kill('SIGKILL');
      await victim.proc.exited;
      live.splice(live.indexOf(victim), 1);
      const logins = await until(
        async () => {
          const leases = await st.leases.list();
          const at: number[] = [];
          for (const a of moved) {
            const i = openSession(sim, a.user);
            const l = leases.find((x) => x.accountId === a.id);
            if (i <= before.get(a.id)! || !l || l.owner === victim.id) return null;
            at.push(sim.sessionLog(a.user)[i]!.loginAt);
          }
          return at;
        },
        `round ${r + 1}: the killed node's accounts connected elsewhere`,
      );
      const perAccountMs = logins.map((t) => t - killedAt);
      out.push({ moved: moved.length, allMs: Math.max(...perAccountMs), perAccountMs, conflicts: sim.conflicts().length - conflictsBefore });
      process.stderr.write(`failover round ${r + 1}: ${moved.length} accounts, all connected elsewhere after ${Math.max(...perAccountMs)} ms\n`);
      if (r + 1 < rounds) live.push(await start());
    }
    return { accounts: k, leaseSeconds, rounds: out };
  } finally {
    for (const n of nodes) {
      if (n.proc.child.exitCode === null && n.proc.child.signalCode === null) n.proc.child.kill('SIGKILL');
      await n.proc.exited;
    }
    await store?.close();
    await pgServer.stop();
    await sim.close();
    await fs.rm(home, { recursive: true, force: true });
  }
}

export function formatFailover(r: FailoverResult): string {
  const all = r.rounds.map((x) => x.allMs);
  const each = r.rounds.flatMap((x) => x.perAccountMs);
  const conflicts = r.rounds.reduce((c, x) => c + x.conflicts, 0);
  return formatTable(
    `failover: 3 nodes, ${r.accounts} accounts, leaseSeconds ${r.leaseSeconds}, SIGKILL the owner of some accounts, ${r.rounds.length} rounds (ms from the kill)`,
    ['', 'median', 'p90', 'min', 'max'],
    [
      ['all its accounts connected elsewhere', median(all), p90(all), Math.min(...all), Math.max(...all)],
      ['each account connected elsewhere', median(each), p90(each), Math.min(...each), Math.max(...each)],
      ['accounts moved per round', median(r.rounds.map((x) => x.moved)), '', '', ''],
      ['440s sent (two live connections of an account)', conflicts, '', '', ''],
    ],
  );
}

runIfMain(import.meta.url, async () => {
  const [accounts, rounds, lease] = process.argv.slice(2).map(Number);
  return formatFailover(await benchFailover({ accounts: accounts || 12, rounds: rounds || 3, leaseSeconds: lease || 10 }));
});
