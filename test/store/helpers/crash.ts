/**
 * The store crash run, shared by `test/store/crash.test.ts` (20 kills) and
 * `bench/store-crash.ts` (1,000): a writer child (store-writer.ts) commits generations
 * of creds and keys in a loop and is SIGKILLed at a random moment, again and again on
 * the same database; after every kill the parent opens the store and judges it
 * (crash-state.ts): it must load, pass its integrity check, hold whole generations
 * only, and be no older than the last generation the child confirmed.
 *
 * Children are the writer bundled once per run into one CommonJS file (esbuild, which
 * tsx brings): ~0.05 CPU-s to start instead of ~0.3 s through tsx, which is the fallback.
 * Two are kept warm ahead; kill delays come from a seeded generator (the seed is
 * returned, to replay a run).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openSqliteStore, storeFile } from '../../../src/store/sqlite.js';
import { readState, writeInitialState } from './crash-state.js';
import { prng } from '../../helpers/prng.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
// Under `npm run bench` this file runs compiled in dist-bench/ (bench/node-child.ts): the
// writer is bundled from its source either way.
const ROOT = path.resolve(HERE, '..', '..', '..');
const REPO = path.basename(ROOT) === 'dist-bench' ? path.dirname(ROOT) : ROOT;
const WRITER = path.join(REPO, 'test', 'store', 'helpers', 'store-writer.ts');
const POOL = 2;

export interface CrashOptions {
  kills: number;
  seed?: number;
  /** Upper bound of the random delay between `started` and the kill (ms). Default 30. */
  maxDelayMs?: number;
  /** Called after every kill (progress). */
  onKill?: (n: number) => void;
}

export interface CrashReport {
  seed: number;
  kills: number;
  /** Loads that opened, passed the integrity check and held whole generations. */
  validLoads: number;
  /** Kills after which the store was older than a generation the child had confirmed. */
  lostConfirmedWrites: number;
  /** Kills after which the store held part of a generation (keys of two generations, creds without their key …). */
  halfApplied: number;
  /** Generations the children confirmed, in all. */
  confirmedWrites: number;
  /** Kills that landed inside an uncommitted generation (rolled back on load). */
  killsMidWrite: number;
  /** Of those, inside an open `transaction(fn)` (odd generations). */
  killsInTransaction: number;
  /** The first few problems, for the failure message. */
  problems: string[];
}


interface Writer {
  proc: ChildProcessWithoutNullStreams;
  confirmed: () => number;
  line: (prefixes: string[]) => Promise<string>;
  closed: Promise<void>;
}

type WriterCommand = { args: string[]; env: NodeJS.ProcessEnv };

/** The writer as one bundled file in `dir`, or through tsx when esbuild is not there. */
async function writerCommand(dir: string): Promise<WriterCommand> {
  try {
    const { build } = await import('esbuild');
    const outfile = path.join(dir, 'store-writer.cjs');
    await build({ entryPoints: [WRITER], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['better-sqlite3'], logLevel: 'silent' });
    // the native driver stays outside the bundle, found through NODE_PATH
    return { args: [outfile], env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules') } };
  } catch {
    return { args: ['--import', 'tsx', WRITER], env: process.env };
  }
}

function spawnWriter(cmd: WriterCommand, file: string): Writer {
  const proc = spawn(process.execPath, [...cmd.args, file], { cwd: REPO, env: cmd.env });
  let confirmed = -1;
  let stderr = '';
  let ended = false;
  const lines: string[] = [];
  let wake: (() => void) | undefined;
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: proc.stdout }).on('line', (l) => {
    if (l.startsWith('ok ')) confirmed = Math.max(confirmed, Number(l.slice(3)));
    else lines.push(l);
    wake?.();
  });
  const closed = new Promise<void>((resolve) => proc.once('close', () => resolve()));
  void closed.then(() => {
    ended = true;
    wake?.();
  });
  const line = async (prefixes: string[]): Promise<string> => {
    for (;;) {
      const i = lines.findIndex((l) => prefixes.some((p) => l.startsWith(p)));
      if (i >= 0) return lines.splice(i, 1)[0]!;
      if (ended) throw new Error(`writer exited before ${prefixes.join('|')}; stderr: ${stderr}`);
      await new Promise<void>((r) => (wake = r));
    }
  };
  return { proc, confirmed: () => confirmed, line, closed };
}

export async function runStoreCrash(opts: CrashOptions): Promise<CrashReport> {
  const seed = opts.seed ?? Date.now() % 2 ** 31;
  const random = prng(seed);
  const maxDelay = opts.maxDelayMs ?? 30;
  const root = await mkdtemp(path.join(os.tmpdir(), 'wagate-store-crash-'));
  const file = storeFile(root);
  const report: CrashReport = {
    seed,
    kills: 0,
    validLoads: 0,
    lostConfirmedWrites: 0,
    halfApplied: 0,
    confirmedWrites: 0,
    killsMidWrite: 0,
    killsInTransaction: 0,
    problems: [],
  };
  const note = (kill: number, what: string) => {
    if (report.problems.length < 10) report.problems.push(`kill ${kill}: ${what}`);
  };
  const live = new Set<Writer>();
  try {
    const cmd = await writerCommand(root);
    const init = await openSqliteStore({ file });
    await writeInitialState(init);
    await init.close();

    let lastKeys = 0; // highest generation confirmed
    let lastCreds = 0; // highest odd (creds) generation confirmed
    let spawned = 0;
    const pool: Writer[] = [];
    for (let kill = 1; kill <= opts.kills; kill++) {
      while (pool.length < POOL && spawned < opts.kills) {
        const w = spawnWriter(cmd, file);
        spawned += 1;
        live.add(w);
        pool.push(w);
      }
      const writer = pool.shift()!;
      await writer.line(['warm']);
      writer.proc.stdin.write('go\n');
      const started = await writer.line(['started ', 'error ']);
      if (!started.startsWith('started ')) note(kill, `the writer could not open the store (${started})`);

      await new Promise((r) => setTimeout(r, random() * maxDelay));
      writer.proc.kill('SIGKILL');
      await writer.closed;
      live.delete(writer);
      report.kills += 1;
      const confirmed = writer.confirmed();
      if (confirmed > lastKeys) {
        report.confirmedWrites += confirmed - Math.max(lastKeys, Number(started.slice(8)) || 0);
        lastKeys = confirmed;
        lastCreds = Math.max(lastCreds, confirmed % 2 === 1 ? confirmed : confirmed - 1);
      }

      let state;
      try {
        const store = await openSqliteStore({ file });
        try {
          state = await readState(store);
        } finally {
          await store.close();
        }
      } catch (err) {
        note(kill, `the store did not load: ${(err as Error).message}`);
        continue;
      }
      if (state.problems.length > 0) {
        report.halfApplied += 1;
        note(kill, state.problems.join('; '));
      }
      if (state.keysGen < lastKeys || state.credsGen < lastCreds) {
        report.lostConfirmedWrites += 1;
        note(kill, `loaded keys ${state.keysGen} / creds ${state.credsGen}, confirmed ${lastKeys} / ${lastCreds}`);
      }
      if (state.problems.length === 0) report.validLoads += 1;
      if (state.keysGen === lastKeys) {
        report.killsMidWrite += 1; // generation lastKeys + 1 was in flight and rolled back
        if ((lastKeys + 1) % 2 === 1) report.killsInTransaction += 1;
      }
      lastKeys = Math.max(lastKeys, state.keysGen);
      lastCreds = Math.max(lastCreds, state.credsGen);
      opts.onKill?.(kill);
    }
    return report;
  } finally {
    for (const w of live) w.proc.kill('SIGKILL');
    await Promise.all([...live].map((w) => w.closed));
    await rm(root, { recursive: true, force: true });
  }
}
