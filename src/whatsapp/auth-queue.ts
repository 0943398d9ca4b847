/**
 * The write queue of each auth directory (SPEC §4: saves for one account are
 * serialized). Keyed by the resolved directory, so two stores opened on the same
 * directory in one process share it too. A failed task rejects its own caller
 * only; the queue goes on.
 *
 * Two kinds of task:
 * - `enqueue(dir, task)` is exclusive: opening the store, a creds save, logout. It
 *   starts after every earlier task of the directory (key writes included), and
 *   every later task waits for it.
 * - `enqueueKey(dir, name, task)` writes one Signal key file. It waits for the
 *   exclusive tasks queued before it and for the previous write of the same file,
 *   not for other key files: key files are independent, each replaced atomically,
 *   and Baileys awaits every key write while it decrypts the next message, so
 *   lining all of them up behind each other made every message wait for the
 *   others' disk round trips.
 */
import path from 'node:path';

interface DirQueue {
  /** The latest exclusive task (settled = done, either way). */
  exclusive: Promise<void>;
  /** Key writes in flight or waiting. */
  shared: Set<Promise<void>>;
  /** The latest write of each key file. */
  keys: Map<string, Promise<void>>;
  /** Tasks queued so far (a change means something new was queued). */
  queued: number;
}

const dirs = new Map<string, DirQueue>();
const done = (): void => undefined;

function queueOf(dir: string): DirQueue {
  const key = path.resolve(dir);
  let q = dirs.get(key);
  if (!q) dirs.set(key, (q = { exclusive: Promise.resolve(), shared: new Set(), keys: new Map(), queued: 0 }));
  return q;
}

/** Run `task` after every task queued before it for `dir`; later tasks wait for it. */
export function enqueue<T>(dir: string, task: () => Promise<T>): Promise<T> {
  const q = queueOf(dir);
  q.queued += 1;
  const result = Promise.all([q.exclusive, ...q.shared]).then(task);
  q.exclusive = result.then(done, done);
  return result;
}

/** Run `task` (a write of key file `name`) after the exclusive tasks and the previous write of `name`. */
export function enqueueKey<T>(dir: string, name: string, task: () => Promise<T>): Promise<T> {
  const q = queueOf(dir);
  q.queued += 1;
  const result = Promise.all([q.exclusive, q.keys.get(name)]).then(task);
  const tail = result.then(done, done);
  q.keys.set(name, tail);
  q.shared.add(tail);
  void tail.then(() => {
    q.shared.delete(tail);
    if (q.keys.get(name) === tail) q.keys.delete(name);
  });
  return result;
}

/** Resolves once every task queued so far for `dir` has settled. */
export function settled(dir: string): Promise<void> {
  const q = dirs.get(path.resolve(dir));
  return q ? Promise.all([q.exclusive, ...q.shared]).then(done) : Promise.resolve();
}

/**
 * Resolves once every task queued for `dir` has settled and nothing new was queued
 * for `quietMs`: after a socket closed, work already in flight (a message being
 * decrypted) may still commit key writes; a process exiting before them would
 * start next time with a stale Signal session.
 */
export async function settledQuietly(dir: string, quietMs: number): Promise<void> {
  for (;;) {
    const before = dirs.get(path.resolve(dir))?.queued ?? 0;
    await settled(dir);
    await new Promise((r) => setTimeout(r, quietMs));
    if ((dirs.get(path.resolve(dir))?.queued ?? 0) === before) return;
  }
}

/** Resolves once the exclusive tasks and the writes of key file `name` queued so far have settled. */
export function settledKey(dir: string, name: string): Promise<void> {
  const q = dirs.get(path.resolve(dir));
  return q ? Promise.all([q.exclusive, q.keys.get(name)]).then(done) : Promise.resolve();
}
