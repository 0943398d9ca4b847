/**
 * One write queue per auth directory (SPEC §4: saves for one account are serialized).
 * Keyed by the resolved directory, so two stores opened on the same directory in one
 * process share it too. A failed task rejects its own caller only; the queue goes on.
 */
import path from 'node:path';

const tails = new Map<string, Promise<void>>();

/** Run `task` after every task queued before it for `dir`. */
export function enqueue<T>(dir: string, task: () => Promise<T>): Promise<T> {
  const key = path.resolve(dir);
  const prev = tails.get(key) ?? Promise.resolve();
  const result = prev.then(task);
  const tail = result.then(
    () => undefined,
    () => undefined,
  );
  tails.set(key, tail);
  void tail.then(() => {
    if (tails.get(key) === tail) tails.delete(key);
  });
  return result;
}

/** Resolves once every task queued so far for `dir` has settled. */
export function settled(dir: string): Promise<void> {
  return tails.get(path.resolve(dir)) ?? Promise.resolve();
}
