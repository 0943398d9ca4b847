/**
 * Runs a benchmark entry point in a fresh Node process (`--expose-gc`), so each
 * measurement has its own heap and RSS and Baileys' leftover timers die with it.
 * The child reports by printing one JSON line prefixed with `RESULT `.
 *
 * Under `npm run bench` the benchmarks run compiled (`tsc -p tsconfig.bench.json`
 * into `dist-bench/`, then plain `node`), as users run wagate (`bin/wagate.js` runs
 * `dist/`): tsx's esbuild transform (keepNames wraps every function) and its source
 * maps cost 10–15% on the hot paths. Children then run the compiled `.js` of the same
 * entry. Run through tsx (`npx tsx bench/<name>.ts`), children run through tsx too.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(import.meta.url);
/** This file is the compiled one (dist-bench/bench/node-child.js). */
export const COMPILED = HERE.endsWith('.js');
/** Where the benchmarks' code is: the repository, or dist-bench/ when compiled. */
const CODE_ROOT = path.resolve(path.dirname(HERE), '..');
/** The repository (the children's working directory). */
export const REPO_ROOT = COMPILED ? path.dirname(CODE_ROOT) : CODE_ROOT;
const RESULT = 'RESULT ';

/**
 * How to start the entry point `entry` (a `.ts` path from the repository root) in a
 * child: the compiled `.js` with plain node when this runs compiled, else the source through tsx.
 */
export function benchEntry(entry: string): { file: string; execArgv: string[] } {
  return COMPILED
    ? { file: path.resolve(CODE_ROOT, entry.replace(/\.ts$/, '.js')), execArgv: [] }
    : { file: path.resolve(CODE_ROOT, entry), execArgv: ['--import', 'tsx'] };
}

export interface ChildOptions {
  env?: Record<string, string>;
  /** Forward the child's stdout lines (other than the result) to ours. */
  inheritOutput?: boolean;
  timeoutMs?: number;
  /** Run `entry` of another checkout (its own sources, same Node and tsx): default this one. */
  root?: string;
}

export function runTsChild(entry: string, args: string[], opts: ChildOptions = {}): Promise<{ code: number; result: unknown }> {
  return new Promise((resolve, reject) => {
    // Another checkout runs from its sources through tsx; this one compiled or not, as we run.
    const root = opts.root ? path.resolve(opts.root) : REPO_ROOT;
    const { file, execArgv } = opts.root ? { file: path.resolve(root, entry), execArgv: ['--import', 'tsx'] } : benchEntry(entry);
    const child = spawn(process.execPath, ['--expose-gc', ...execArgv, file, ...args], {
      cwd: root,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let result: unknown;
    let buf = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith(RESULT)) result = JSON.parse(line.slice(RESULT.length));
        else if (opts.inheritOutput) process.stdout.write(`${line}\n`);
      }
    });
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`${entry} ${args.join(' ')}: timed out after ${opts.timeoutMs} ms`));
        }, opts.timeoutMs)
      : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? (signal ? 1 : 0), result });
    });
  });
}

/** In a child: report the result to the parent. */
export function reportResult(value: unknown): void {
  process.stdout.write(`${RESULT}${JSON.stringify(value)}\n`);
}

/** Memory after a full collection (needs `--expose-gc`). */
export async function settledMemory(): Promise<{ rss: number; heapUsed: number; external: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run node with --expose-gc');
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external };
}
