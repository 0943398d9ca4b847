/**
 * WAL checkpoints off the event loop (issue 12, performance).
 *
 * With `synchronous=NORMAL` a WAL commit is a plain write(); the fsyncs happen when the
 * WAL is copied back into the database file (a checkpoint). SQLite runs that checkpoint
 * inside the commit that crosses `wal_autocheckpoint` pages (1,000 by default), so one
 * message in a few hundred waited for two fsyncs: milliseconds on the event loop, the
 * pipeline's p99.
 *
 * Once a store has committed `startAfterCommits` batches (a busy gateway, not a CLI call
 * or a short test), a worker thread opens its own connection to the same file and runs
 * `PRAGMA wal_checkpoint(PASSIVE)` every `everyCommits` commits: a passive checkpoint
 * never blocks the writer and does its fsyncs on the worker's thread. The main
 * connection's automatic checkpoint is then raised to `BACKSTOP_PAGES`, a bound on the WAL
 * if the worker falls behind or fails. Durability is unchanged: a commit is in the WAL
 * when it returns, and a checkpoint is crash-safe wherever it is interrupted.
 *
 * A failing worker (it cannot open the file, it crashed) is not retried: the store goes
 * back to checkpointing in its own commits, as before.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The main connection's automatic checkpoint while the worker runs (pages of 4 KiB: 40 MiB). */
export const BACKSTOP_PAGES = 10_000;
/** SQLite's default automatic checkpoint, used before the worker starts and after it fails. */
export const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

// Plain CommonJS, evaluated in the worker (no TypeScript loader there).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: workerData.busyTimeoutMs });
db.pragma('synchronous = NORMAL');
parentPort.on('message', (m) => {
  if (m === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage('done');
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
});
parentPort.postMessage('ready');
`;

export interface CheckpointerOptions {
  file: string;
  busyTimeoutMs: number;
  /** Sets the main connection's `wal_autocheckpoint`. */
  setAutoCheckpoint(pages: number): void;
  /** Commits before the worker starts (default 256). */
  startAfterCommits?: number;
  /** Commits between two checkpoints asked of the worker (default 128). */
  everyCommits?: number;
}

export class Checkpointer {
  private commits = 0;
  private sinceAsked = 0;
  private worker: Worker | undefined;
  private failed = false;
  private inFlight = false;
  private checkpoints = 0;
  private readonly startAfter: number;
  private readonly every: number;

  constructor(private readonly opts: CheckpointerOptions) {
    this.startAfter = opts.startAfterCommits ?? 256;
    this.every = opts.everyCommits ?? 128;
  }

  /** Called after each committed write transaction. */
  committed(): void {
    this.commits += 1;
    if (this.failed) return;
    if (!this.worker) {
      if (this.commits >= this.startAfter) this.start();
      return;
    }
    this.sinceAsked += 1;
    if (this.sinceAsked >= this.every && !this.inFlight) {
      this.sinceAsked = 0;
      this.inFlight = true;
      this.worker.postMessage('checkpoint');
    }
  }

  /** Whether checkpoints run on the worker, and how many it did (debug dump, tests). */
  summary(): { worker: 'idle' | 'running' | 'failed'; checkpoints: number } {
    return { worker: this.failed ? 'failed' : this.worker ? 'running' : 'idle', checkpoints: this.checkpoints };
  }

  private start(): void {
    let driver: string;
    try {
      driver = createRequire(import.meta.url).resolve('better-sqlite3');
    } catch {
      this.failed = true;
      return;
    }
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver, file: this.opts.file, busyTimeoutMs: this.opts.busyTimeoutMs },
    });
    worker.unref();
    this.worker = worker;
    worker.on('message', (m: unknown) => {
      if (m === 'ready') {
        this.opts.setAutoCheckpoint(BACKSTOP_PAGES);
        return;
      }
      this.inFlight = false;
      if (m === 'done') this.checkpoints += 1;
      // A checkpoint that failed (busy, I/O): the next one tries again; the backstop bounds the WAL.
    });
    const fail = () => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.failed = true;
      this.opts.setAutoCheckpoint(DEFAULT_AUTOCHECKPOINT_PAGES);
    };
    worker.on('error', fail);
    worker.on('exit', fail);
  }

  /** Stops the worker (the store's own close checkpoints what is left). */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    this.failed = true; // never restarted
    worker.ref(); // the wait below keeps the process alive until the worker is gone
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.postMessage('close');
    });
  }
}
