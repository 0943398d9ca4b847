/**
 * `npm run bench`: runs every benchmark in sequence, each in its own Node process
 * (own heap and RSS; Baileys' leftover timers die with it), prints each one's table
 * and a summary, and exits 0 when all of them ran (1 otherwise). Benchmarks print
 * numbers; they never assert timing.
 *
 *   npm run bench                                  # all, default sizes (about 1.5 min on 2 cores)
 *   npm run bench -- gateway-accounts sim-link     # only these
 *   npm run bench -- --accounts 100 --contacts 100 --per-contact 50 --rounds 5
 *   npm run bench -- --list
 *
 * Sizes can also come from WAGATE_BENCH_ACCOUNTS, WAGATE_BENCH_CONTACTS,
 * WAGATE_BENCH_PER_CONTACT and WAGATE_BENCH_ROUNDS; WAGATE_BENCH_SETTLE_MS is the wait between "all
 * connected" and the memory reading in gateway-accounts (default 3000).
 */
import os from 'node:os';
import { runTsChild } from './node-child.js';
import { BENCHMARKS, findBenchmark, SIZE_ENV, sizesFromEnv, type BenchSizes } from './registry.js';
import { formatTable, type Row } from './table.js';

const FLAGS: Record<string, keyof BenchSizes> = { '--accounts': 'accounts', '--contacts': 'contacts', '--per-contact': 'perContact', '--rounds': 'rounds' };

function usage(): string {
  const names = BENCHMARKS.map((b) => `  ${b.name.padEnd(18)} ${b.about}`).join('\n');
  return `usage: npm run bench -- [name...] [--accounts N] [--contacts N] [--per-contact N] [--rounds N] [--list]\n\nbenchmarks:\n${names}\n`;
}

function parseArgs(argv: string[]): { names: string[]; sizes: BenchSizes } | string {
  const names: string[] = [];
  const sizes = sizesFromEnv(process.env);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--list' || arg === '--help' || arg === '-h') return usage();
    const flag = FLAGS[arg];
    if (flag) {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v <= 0) throw new Error(`${arg} needs a positive whole number`);
      sizes[flag] = v;
    } else if (findBenchmark(arg)) {
      names.push(arg);
    } else {
      throw new Error(`unknown benchmark or flag "${arg}"\n\n${usage()}`);
    }
  }
  return { names: names.length ? names : BENCHMARKS.map((b) => b.name), sizes };
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    return 2;
  }
  if (typeof parsed === 'string') {
    process.stdout.write(parsed);
    return 0;
  }
  const { names, sizes } = parsed;
  const env = Object.fromEntries(Object.entries(SIZE_ENV).map(([k, name]) => [name, String(sizes[k as keyof BenchSizes])]));
  process.stdout.write(
    `wagate benchmarks — ${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), ` +
      `load average ${os.loadavg()[0]!.toFixed(2)}\n` +
      `sizes: accounts=${sizes.accounts} contacts=${sizes.contacts} perContact=${sizes.perContact} rounds=${sizes.rounds}\n\n`,
  );
  const summary: Row[] = [];
  for (const name of names) {
    const started = performance.now();
    const timeoutMs = findBenchmark(name)?.timeoutMs ?? 600_000;
    const { code } = await runTsChild('bench/run-one.ts', [name], { env, inheritOutput: true, timeoutMs }).catch((err: unknown) => {
      process.stderr.write(`bench ${name}: ${(err as Error).message}\n`);
      return { code: 1 };
    });
    summary.push([name, code === 0 ? 'ok' : `FAILED (exit ${code})`, ((performance.now() - started) / 1000).toFixed(1)]);
    process.stdout.write('\n');
  }
  process.stdout.write(formatTable('summary', ['benchmark', 'result', 'wall (s)'], summary));
  return summary.every((r) => r[1] === 'ok') ? 0 : 1;
}

process.exitCode = await main();
