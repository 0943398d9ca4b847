import { describe, expect, it } from 'vitest';
import { KeyedQueue } from '../src/keyed-queue.js';

const deferred = () => {
  let resolve: () => void = () => undefined;
  let reject: (e: Error) => void = () => undefined;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};

describe('KeyedQueue (one lane per key)', () => {
  it('runs one task at a time per key in arrival order; other keys run side by side', async () => {
    const q = new KeyedQueue();
    const log: string[] = [];
    const a1 = deferred();
    const p1 = q.run('a', async () => (log.push('a1'), a1.promise));
    const p2 = q.run('a', async () => void log.push('a2'));
    const p3 = q.run('b', async () => void log.push('b1'));
    expect(log).toEqual([]); // never inside run() itself
    await p3;
    expect(log).toEqual(['a1', 'b1']);
    expect({ running: q.running, queued: q.queued, keys: q.keys() }).toEqual({ running: 1, queued: 1, keys: ['a'] });
    a1.resolve();
    await Promise.all([p1, p2]);
    expect(log).toEqual(['a1', 'b1', 'a2']);
  });

  it('a failed task rejects its own caller only; the key goes on; idle waits for everything and forgets idle keys', async () => {
    const q = new KeyedQueue();
    const fail = q.run('k', async () => {
      throw new Error('boom');
    });
    const next = q.run('k', async () => 'ok');
    await expect(fail).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ok');
    const late = deferred();
    void q.run('x', () => late.promise);
    let idle = false;
    const waiting = q.idle().then(() => (idle = true));
    await new Promise((r) => setImmediate(r));
    expect(idle).toBe(false);
    late.resolve();
    await waiting;
    expect(q.keys()).toEqual([]);
    expect({ running: q.running, queued: q.queued }).toEqual({ running: 0, queued: 0 });
  });

  it('a task that throws synchronously rejects its caller only; a queued task starts after its predecessor\'s caller resumed', async () => {
    const q = new KeyedQueue();
    const order: string[] = [];
    const boom = q.run('k', () => {
      throw new Error('sync boom');
    });
    const first = q.run('k', async () => void order.push('first')).then(() => order.push('first resumed'));
    const second = q.run('k', async () => void order.push('second'));
    await expect(boom).rejects.toThrow('sync boom');
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'first resumed', 'second']);
    expect(q.keys()).toEqual([]);
  });

  it('keeps arrival order across many tasks of one key while other keys interleave', async () => {
    const q = new KeyedQueue();
    const seen: Record<string, number[]> = { a: [], b: [] };
    const all: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      for (const key of ['a', 'b'] as const) {
        all.push(
          q.run(key, async () => {
            expect(q.running).toBeLessThanOrEqual(2);
            if (i % 7 === 0) await new Promise((r) => setImmediate(r));
            seen[key]!.push(i);
          }),
        );
      }
    }
    await q.idle();
    await Promise.all(all);
    const expected = Array.from({ length: 50 }, (_, i) => i);
    expect(seen).toEqual({ a: expected, b: expected });
    expect({ running: q.running, queued: q.queued }).toEqual({ running: 0, queued: 0 });
  });
});
