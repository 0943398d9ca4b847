/**
 * Runs a TypeScript entry point in a fresh Node process (`--expose-gc`, tsx loader),
 * so each measurement has its own heap and RSS and Baileys' leftover timers die
 * with it. The child reports by printing one JSON line prefixed with `RESULT `.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RESULT = 'RESULT ';

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
    const root = opts.root ? path.resolve(opts.root) : REPO_ROOT;
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', path.resolve(root, entry), ...args], {
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
