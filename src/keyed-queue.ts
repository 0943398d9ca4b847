/**
 * One task at a time per key, the others queued in arrival order; different keys
 * run side by side. A failed task rejects its own caller only and does not block
 * the queue. Used for agent runs (one per session key), config edits and pairing
 * store locks (one per file).
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly all = new Set<Promise<void>>();
  running = 0;
  queued = 0;

  /** Run `task` after every earlier task of the same key has settled. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    this.queued += 1;
    const prev = this.tails.get(key) ?? Promise.resolve();
    const result = prev.then(async () => {
      this.queued -= 1;
      this.running += 1;
      try {
        return await task();
      } finally {
        this.running -= 1;
      }
    });
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    this.all.add(tail);
    void tail.then(() => {
      this.all.delete(tail);
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with a run in flight or queued. */
  keys(): string[] {
    return [...this.tails.keys()];
  }

  /** Resolves when every task queued so far (and any queued meanwhile) has settled. */
  async idle(): Promise<void> {
    while (this.all.size > 0) await Promise.all([...this.all]);
  }
}
