/**
 * Crash safety of creds saves (SPEC §1, §4): a child process saves creds in a tight
 * loop and is SIGKILLed at a random moment; after every kill the store must open with
 * the same identity and a counter no older than one save before the last confirmed one.
 *
 * Children are spawned with `node --import tsx` (measured ~0.5 s wall, ~0.6 CPU-s each,
 * mostly loading Baileys through tsx), so a small pool is warmed ahead: a warm child has
 * loaded its modules but touches nothing until told `go`. Exactly one child is used per
 * kill, so spawn cost bounds the run (~60 s on two idle cores). The kill delays come
 * from a seeded generator; set CRASH_SEED to replay a run, CRASH_KILLS for a short one.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openAuthStore } from '../../src/whatsapp/auth-store.js';
import { tmpDir } from '../helpers/tmp.js';
import { identityKeyOf, makeLinkedDir, ME, recordingLog } from './helpers/auth-fixtures.js';

const KILLS = Number(process.env.CRASH_KILLS) || 200;
const POOL = 2; // warming children is CPU-bound: two cores, two in flight
const MAX_DELAY_MS = 30;
const HERE = path.dirname(fileURLToPath(import.meta.url));
const HELPER = path.join(HERE, 'helpers', 'creds-saver.ts');
const REPO = path.resolve(HERE, '..', '..');

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Saver {
  proc: ChildProcessWithoutNullStreams;
  /** The highest counter the child confirmed saved. */
  lastSaved: () => number;
  /** The first line starting with one of `prefixes` (after any already seen). */
  line: (prefixes: string[]) => Promise<string>;
  closed: Promise<void>;
  stderr: () => string;
}

function spawnSaver(dir: string): Saver {
  const proc = spawn(process.execPath, ['--import', 'tsx', HELPER, dir], { cwd: REPO });
  let lastSaved = 0;
  let stderr = '';
  const lines: string[] = [];
  let wake: (() => void) | undefined;
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: proc.stdout }).on('line', (l) => {
    if (l.startsWith('saved ')) lastSaved = Math.max(lastSaved, Number(l.slice(6)));
    else lines.push(l);
    wake?.();
  });
  const closed = new Promise<void>((resolve) => proc.once('close', () => resolve()));
  let ended = false;
  void closed.then(() => {
    ended = true;
    wake?.();
  });
  const line = async (prefixes: string[]): Promise<string> => {
    for (;;) {
      const i = lines.findIndex((l) => prefixes.some((p) => l.startsWith(p)));
      if (i >= 0) return lines.splice(i, 1)[0]!;
      if (ended) throw new Error(`saver exited before ${prefixes.join('|')}; stderr: ${stderr}`);
      await new Promise<void>((r) => (wake = r));
    }
  };
  return { proc, lastSaved: () => lastSaved, line, closed, stderr: () => stderr };
}

let root: string;
const live = new Set<Saver>();
beforeEach(() => {
  root = tmpDir('auth');
});
afterEach(async () => {
  for (const s of live) s.proc.kill('SIGKILL');
  await Promise.all([...live].map((s) => s.closed));
  live.clear();
});

it(`survives ${KILLS} SIGKILLs during creds saves: always loads the current or previous creds`, async () => {
  const seed = Number(process.env.CRASH_SEED) || Date.now() % 2 ** 31;
  const random = seeded(seed);
  const dir = path.join(root, 'auth');
  const { identityKey } = await makeLinkedDir(dir);
  const ctx = `(CRASH_SEED=${seed})`;

  let spawned = 0;
  const pool: Saver[] = [];
  const topUp = () => {
    while (pool.length < POOL && spawned < KILLS) {
      const s = spawnSaver(dir);
      spawned += 1;
      live.add(s);
      pool.push(s);
    }
  };

  let lastSeen = 0; // highest counter any child confirmed saved
  let killsMidWrite = 0; // kills that left a temp file behind
  let totalSaves = 0;
  for (let kill = 1; kill <= KILLS; kill++) {
    topUp();
    const saver = pool.shift()!;
    await saver.line(['warm']);
    saver.proc.stdin.write('go\n');
    const started = await saver.line(['started ', 'error ']);
    expect(started, `kill ${kill}: the child could not open the store ${ctx}`).toMatch(/^started /);
    expect(Number(started.slice(8)), `kill ${kill}: child loaded an old counter ${ctx}`).toBeGreaterThanOrEqual(
      lastSeen - 1,
    );

    await new Promise((r) => setTimeout(r, random() * MAX_DELAY_MS));
    saver.proc.kill('SIGKILL');
    await saver.closed;
    live.delete(saver);
    totalSaves += Math.max(0, saver.lastSaved() - lastSeen);
    lastSeen = Math.max(lastSeen, saver.lastSaved());

    if ((await readdir(dir)).some((n) => n.endsWith('.tmp'))) killsMidWrite += 1;
    const store = await openAuthStore({ dir, log: recordingLog() });
    expect(store.source, `kill ${kill}: fresh creds after a crash ${ctx}`).not.toBe('fresh');
    expect(identityKeyOf(store.state.creds), `kill ${kill}: identity changed ${ctx}`).toBe(identityKey);
    expect(store.state.creds.me?.id).toBe(ME);
    const counter = (store.state.creds.additionalData as { counter?: number } | undefined)?.counter ?? 0;
    expect(counter, `kill ${kill}: counter went back ${ctx}`).toBeGreaterThanOrEqual(lastSeen - 1);
  }

  expect(spawned).toBe(KILLS);
  // The test means something only if kills landed inside writes, and saves happened.
  expect(killsMidWrite, `no kill landed mid-write ${ctx}`).toBeGreaterThan(0);
  expect(totalSaves).toBeGreaterThan(0);
  // Stale temp files of dead writers do not pile up.
  expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
}, 300_000); // ~60 s on two idle cores; generous for a loaded machine
