import { describe, expect, it, vi } from 'vitest';
import { enqueue, enqueueKey, settled, settledKey, settledQuietly } from '../../src/whatsapp/auth-queue.js';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('the per-directory write queue', () => {
  it('starts a task only after the previous one for the same directory settled', async () => {
    const first = deferred();
    const order: string[] = [];
    const a = enqueue('/q/one', async () => {
      order.push('a start');
      await first.promise;
      order.push('a end');
    });
    const b = enqueue('/q/one/', async () => void order.push('b'));
    await tick();
    expect(order).toEqual(['a start']);
    first.resolve();
    await Promise.all([a, b]);
    expect(order).toEqual(['a start', 'a end', 'b']);
  });

  it('lets other directories proceed meanwhile', async () => {
    const block = deferred();
    const blocked = enqueue('/q/two', () => block.promise);
    await expect(enqueue('/q/three', async () => 'done')).resolves.toBe('done');
    block.resolve();
    await blocked;
  });

  it('rejects only the failing caller and goes on', async () => {
    const failing = enqueue('/q/four', async () => {
      throw new Error('disk full');
    });
    const next = enqueue('/q/four', async () => 42);
    await expect(failing).rejects.toThrow('disk full');
    await expect(next).resolves.toBe(42);
  });

  it('settled() waits for everything queued so far', async () => {
    const block = deferred();
    let done = false;
    void enqueue('/q/five', async () => {
      await block.promise;
      done = true;
    });
    const waiting = settled('/q/five');
    await tick();
    expect(done).toBe(false);
    block.resolve();
    await waiting;
    expect(done).toBe(true);
  });

  it('key writes: one file in order, different files side by side', async () => {
    const block = deferred();
    const order: string[] = [];
    const a1 = enqueueKey('/q/six', 'session-a.json', async () => {
      order.push('a1 start');
      await block.promise;
      order.push('a1 end');
    });
    const a2 = enqueueKey('/q/six', 'session-a.json', async () => void order.push('a2'));
    const b = enqueueKey('/q/six', 'session-b.json', async () => void order.push('b'));
    await b; // not held up by a1
    expect(order).toEqual(['a1 start', 'b']);
    let readA = false;
    const waitA = settledKey('/q/six', 'session-a.json').then(() => (readA = true));
    await settledKey('/q/six', 'session-b.json');
    await tick();
    expect(readA).toBe(false);
    block.resolve();
    await Promise.all([a1, a2, waitA]);
    expect(order).toEqual(['a1 start', 'b', 'a1 end', 'a2']);
  });

  it('an exclusive task (creds save, logout) waits for key writes in flight, and later key writes wait for it', async () => {
    const block = deferred();
    const order: string[] = [];
    const k1 = enqueueKey('/q/seven', 'pre-key-1.json', async () => {
      await block.promise;
      order.push('k1');
    });
    const ex = enqueue('/q/seven', async () => void order.push('creds'));
    const k2 = enqueueKey('/q/seven', 'pre-key-2.json', async () => void order.push('k2'));
    await tick();
    expect(order).toEqual([]);
    const all = settled('/q/seven');
    block.resolve();
    await Promise.all([k1, ex, k2, all]);
    expect(order).toEqual(['k1', 'creds', 'k2']);
  });

  it('a failed key write rejects its caller only; the next write of the file runs', async () => {
    const failing = enqueueKey('/q/eight', 'session-x.json', async () => {
      throw new Error('EIO');
    });
    const next = enqueueKey('/q/eight', 'session-x.json', async () => 7);
    await expect(failing).rejects.toThrow('EIO');
    await expect(next).resolves.toBe(7);
    await expect(settled('/q/eight')).resolves.toBeUndefined();
  });

  it('settledQuietly also waits for a write queued shortly after the others settled (a late commit after a close)', async () => {
    vi.useFakeTimers();
    try {
      const done: string[] = [];
      void enqueueKey('/q/nine', 'session-a.json', async () => void done.push('a'));
      let quietAt: string[] | null = null;
      const quiet = settledQuietly('/q/nine', 40).then(() => void (quietAt = [...done]));
      await settled('/q/nine');
      await vi.advanceTimersByTimeAsync(10); // inside the quiet period…
      const late = deferred();
      void enqueueKey('/q/nine', 'session-b.json', async () => {
        await late.promise;
        done.push('b');
      });
      await vi.advanceTimersByTimeAsync(10_000); // …a write came: however long it takes, quiet waits for it
      expect(quietAt).toBeNull();
      late.resolve();
      await vi.advanceTimersByTimeAsync(39);
      expect(quietAt).toBeNull(); // and then for a new quiet period
      await vi.advanceTimersByTimeAsync(1);
      await quiet;
      expect(quietAt).toEqual(['a', 'b']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('settledQuietly resolves after one quiet period when nothing more is queued', async () => {
    vi.useFakeTimers();
    try {
      let resolved = false;
      void enqueueKey('/q/ten', 'session-a.json', async () => undefined);
      const quiet = settledQuietly('/q/ten', 40).then(() => void (resolved = true));
      await vi.advanceTimersByTimeAsync(39);
      expect(resolved).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await quiet;
      expect(resolved).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
