/**
 * One task at a time per key, the others queued in arrival order; different keys
 * run side by side. A failed task rejects its own caller only and does not block
 * the queue; a task starts a microtask after `run` at the earliest. A key's lane
 * is dropped once it is idle.
 * Used for agent runs (one per session key), the access policy (one per account
 * and chat), config edits and pairing store locks (one per file).
 *
 * It sits on the hot path of every message (twice: its chat in the access policy,
 * its session in the runner), and most keys hold one task at a time: a lane is a
 * plain object with an array of waiting starters, not a p-queue (an EventEmitter
 * and its listeners per key, created and dropped for nearly every message).
 */

/**
 * Starts go a microtask later through a settled promise: Node's queueMicrotask makes an
 * AsyncResource (and a bound function) per call, on every message's path.
 */
const settled = Promise.resolve();

interface Lane {
  /** Starters of the tasks waiting behind the running one, in arrival order. */
  waiting: (() => void)[];
}

export class KeyedQueue {
  /** A key is here while one of its tasks runs (or is about to start). */
  private readonly lanes = new Map<string, Lane>();
  /** `idle()` callers, woken when the last lane is dropped. */
  private idleWaiters: (() => void)[] = [];

  /**
   * Run `task` after every earlier task of the same key has settled; never
   * synchronously inside this call.
   */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const lane = this.lanes.get(key);
      const start = (own: Lane) => {
        let work: Promise<T>;
        try {
          work = task();
        } catch (err) {
          work = Promise.reject(err);
        }
        Promise.resolve(work).then(
          (value) => {
            resolve(value);
            this.next(key, own);
          },
          (err: unknown) => {
            reject(err);
            this.next(key, own);
          },
        );
      };
      if (lane) {
        lane.waiting.push(() => start(lane));
        return;
      }
      const fresh: Lane = { waiting: [] };
      this.lanes.set(key, fresh);
      void settled.then(() => start(fresh));
    });
  }

  /** The running task of `key` settled: start its next one, or drop the lane. */
  private next(key: string, lane: Lane): void {
    const starter = lane.waiting.shift();
    if (starter) {
      // after the settled task's caller resumes, as a task queued behind it always did
      void settled.then(starter);
      return;
    }
    if (this.lanes.get(key) === lane) this.lanes.delete(key);
    if (this.lanes.size === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Tasks running now (at most one per key). */
  get running(): number {
    return this.lanes.size;
  }

  /** Tasks waiting for their key's turn. */
  get queued(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.waiting.length;
    return n;
  }

  /** Keys with a task in flight or queued. */
  keys(): string[] {
    return [...this.lanes.keys()];
  }

  /** Resolves when every task queued so far (and any queued meanwhile) has settled. */
  async idle(): Promise<void> {
    while (this.lanes.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }
}
