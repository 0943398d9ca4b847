/**
 * A cross-process lock for the pairing store: the gateway and `wagate pairing
 * approve` may edit the store files at the same moment. Whoever creates the
 * lock file (`open(…, 'wx')`, atomic on local file systems) holds the lock; the
 * others poll until it is gone. A lock file older than `staleMs` belongs to a
 * crashed process and is taken over. Inside one process, callers queue up
 * first, so they never poll against each other.
 */
import fs from 'node:fs';
import { WagateError } from '../errors.js';
import { KeyedQueue } from '../keyed-queue.js';

export interface FileLockOptions {
  /** Give up waiting after this long (default 5 s). */
  timeoutMs?: number;
  /** A lock file this old (by mtime) is considered abandoned (default 30 s). */
  staleMs?: number;
  /** Poll interval while another process holds the lock (default 10 ms). */
  pollMs?: number;
}

/** Callers inside this process wait their turn here before polling for the file. */
const waiting = new KeyedQueue();

/** Run `job` while holding `lockPath`; the lock is released however `job` ends. */
export function withFileLock<T>(lockPath: string, job: () => Promise<T>, opts: FileLockOptions = {}): Promise<T> {
  return waiting.run(lockPath, async () => {
    await acquire(lockPath, opts);
    try {
      return await job();
    } finally {
      await fs.promises.unlink(lockPath).catch(() => undefined);
    }
  });
}

async function acquire(lockPath: string, opts: FileLockOptions): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const staleMs = opts.staleMs ?? 30_000;
  const pollMs = opts.pollMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await fs.promises.open(lockPath, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`).finally(() => handle.close());
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const st = await fs.promises.stat(lockPath).catch(() => null);
    if (st && Date.now() - st.mtimeMs > staleMs) {
      await fs.promises.unlink(lockPath).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) {
      throw new WagateError(
        'WAGATE_ERR_PAIRING_STORE',
        `The pairing store is locked by another wagate process (${lockPath}); try again, or delete the lock file if no wagate is running.`,
      );
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
