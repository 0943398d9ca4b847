/**
 * Running the CLI in tests: in-process with a captured CliIO (`runCli`), or as
 * a real child process (`spawnCli`) when signals and exit codes matter.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(
  argv: string[],
  env: Record<string, string | undefined>,
  opts: { signal?: AbortSignal; onOut?: (text: string) => void } = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const signal = opts.signal;
  const io: CliIO = {
    out: (t) => {
      stdout += t.endsWith('\n') ? t : `${t}\n`;
      opts.onOut?.(t);
    },
    err: (t) => (stderr += t.endsWith('\n') ? t : `${t}\n`),
    env,
    isTTY: false,
    signal: signal ?? new AbortController().signal,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

export interface SpawnedCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout contains `text`. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
}

/** After a test: SIGKILL every child still running (emptying `children`) and wait for each to exit. */
export async function reapChildren(children: SpawnedCli[]): Promise<void> {
  for (const c of children.splice(0)) {
    if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await c.exited;
  }
}

export function spawnCli(argv: string[], env: Record<string, string | undefined>): SpawnedCli {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'cli-entry.ts'), ...argv], {
    cwd: ROOT,
    env: { ...env, PATH: process.env.PATH, HOME: env.HOME ?? process.env.HOME },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  child.stdout!.on('data', (d) => {
    out += d;
    waiters.splice(0).forEach((w) => w());
  });
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(text, timeoutMs = 20_000) {
      const match = () => (typeof text === 'string' ? out.includes(text) : text.test(out));
      const deadline = Date.now() + timeoutMs;
      while (!match()) {
        if (child.exitCode !== null) throw new Error(`CLI exited (${child.exitCode}) before printing ${text}:\n${out}\n${err}`);
        if (Date.now() > deadline) throw new Error(`CLI did not print ${text} in ${timeoutMs} ms:\n${out}\n${err}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
      return out;
    },
  };
}
