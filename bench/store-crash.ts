/**
 * `store-crash`: the store's crash run at full size (issue 12 item 4). A writer child
 * commits generations of creds and multi-key transactions to one SQLite store and is
 * SIGKILLed at a random moment, 1,000 times (STORE_CRASH_KILLS to change it,
 * STORE_CRASH_SEED to replay); after each kill the store is opened and judged. The
 * same run, 20 kills, is `test/store/crash.test.ts`. About 0.1 CPU-s per kill (each
 * child is the writer bundled into one file): a few minutes on two cores.
 */
import { runStoreCrash, type CrashReport } from '../test/store/helpers/crash.js';
import { formatTable } from './table.js';

export const STORE_CRASH_KILLS = 1000;

export async function benchStoreCrash(env: Record<string, string | undefined> = process.env): Promise<CrashReport & { wallMs: number }> {
  const kills = Number(env.STORE_CRASH_KILLS) || STORE_CRASH_KILLS;
  const seed = Number(env.STORE_CRASH_SEED) || undefined;
  const started = performance.now();
  const report = await runStoreCrash({
    kills,
    seed,
    onKill: (n) => {
      if (n % 100 === 0) process.stderr.write(`store-crash: ${n}/${kills} kills\n`);
    },
  });
  return { ...report, wallMs: Math.round(performance.now() - started) };
}

export function formatStoreCrash(r: CrashReport & { wallMs: number }): string {
  const table = formatTable(`store-crash: ${r.kills} SIGKILLs of a writer mid-transaction (STORE_CRASH_SEED=${r.seed})`, ['', 'value'], [
    ['kills', r.kills],
    ['valid loads', `${r.validLoads}/${r.kills}`],
    ['lost confirmed writes', r.lostConfirmedWrites],
    ['half-applied transactions', r.halfApplied],
    ['generations confirmed before the kills', r.confirmedWrites],
    ['kills inside an uncommitted generation', r.killsMidWrite],
    ['  of which inside an open transaction(fn)', r.killsInTransaction],
    ['wall time (s)', Math.round(r.wallMs / 100) / 10],
  ]);
  return r.problems.length ? `${table}problems:\n${r.problems.map((p) => `  ${p}`).join('\n')}\n` : table;
}
