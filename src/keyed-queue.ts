/**
 * One task at a time per key, the others queued in arrival order; different keys
 * run side by side. A failed task rejects its own caller only and does not block
 * the queue; a task starts a microtask after `run` at the earliest. Each key is a
 * `p-queue` with concurrency 1, dropped once it is idle.
 * Used for agent runs (one per session key), the access policy (one per account
 * and chat), config edits and pairing store locks (one per file).
 */
import PQueue from 'p-queue';

export class KeyedQueue {
  private readonly queues = new Map<string, PQueue>();

  /**
   * Run `task` after every earlier task of the same key has settled; never
   * synchronously inside this call (p-queue would start an idle key's task at once).
   */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    let q = this.queues.get(key);
    if (!q) {
      const fresh = new PQueue({ concurrency: 1 });
      fresh.on('idle', () => {
        if (this.queues.get(key) === fresh) this.queues.delete(key);
      });
      this.queues.set(key, (q = fresh));
    }
    return q.add(async () => {
      await undefined;
      return task();
    });
  }

  /** Tasks running now (at most one per key). */
  get running(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.pending;
    return n;
  }

  /** Tasks waiting for their key's turn. */
  get queued(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.size;
    return n;
  }

  /** Keys with a task in flight or queued. */
  keys(): string[] {
    return [...this.queues.keys()];
  }

  /** Resolves when every task queued so far (and any queued meanwhile) has settled. */
  async idle(): Promise<void> {
    while (this.queues.size > 0) {
      await Promise.all([...this.queues.values()].map((q) => q.onIdle()));
      for (const [key, q] of this.queues) if (q.size === 0 && q.pending === 0) this.queues.delete(key);
    }
  }
}
