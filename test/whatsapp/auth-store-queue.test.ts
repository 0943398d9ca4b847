import { describe, expect, it } from 'vitest';
import { enqueue, settled } from '../../src/whatsapp/auth-queue.js';

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
});
