import { describe, expect, it } from 'vitest';
import { LinkedAbort, onAbort, sharedAbortController, untilAborted } from '../src/abortable.js';

const never = <T>() => new Promise<T>(() => undefined);

describe('onAbort: many waiters on one long-lived signal', () => {
  it('calls every waiter still registered once, in order, and none that was forgotten', () => {
    const c = sharedAbortController();
    const calls: string[] = [];
    onAbort(c.signal, () => calls.push('a'));
    const offB = onAbort(c.signal, () => calls.push('b'));
    onAbort(c.signal, () => calls.push('c'));
    offB();
    c.abort();
    c.abort();
    expect(calls).toEqual(['a', 'c']);
  });
});

describe('untilAborted', () => {
  it('gives the work\'s outcome, and rejects with the signal\'s reason once it aborts', async () => {
    const c = new AbortController();
    await expect(untilAborted(Promise.resolve(1), c.signal)).resolves.toBe(1);
    await expect(untilAborted(Promise.reject(new Error('failed')), c.signal)).rejects.toThrow('failed');
    const waiting = untilAborted(never<number>(), c.signal);
    c.abort(new Error('stopping'));
    await expect(waiting).rejects.toThrow('stopping');
    await expect(untilAborted(Promise.resolve(2), c.signal)).rejects.toThrow('stopping');
  });
});

describe('LinkedAbort: a run aborted with any of its parents', () => {
  it('makes no AbortSignal until asked, and aborts the one it made with a parent', () => {
    const life = new AbortController();
    const caller = new AbortController();
    const run = new LinkedAbort([life.signal, caller.signal]);
    expect(run.aborted).toBe(false);
    const signal = run.signal;
    expect(run.signal).toBe(signal);
    caller.abort();
    expect(signal.aborted).toBe(true);
    expect((signal.reason as Error).name).toBe('AbortError');
    expect(run.aborted).toBe(true);
    run.dispose();
  });

  it('until: the work\'s outcome, or an AbortError as soon as a parent aborts (signal made or not)', async () => {
    const life = new AbortController();
    const run = new LinkedAbort([life.signal]);
    await expect(run.until(Promise.resolve('ok'))).resolves.toBe('ok');
    const waiting = run.until(never<string>());
    life.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    await expect(new LinkedAbort([life.signal]).until(Promise.resolve('late'))).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('a disposed run is no longer aborted by its parents', () => {
    const life = new AbortController();
    const run = new LinkedAbort([life.signal]);
    const signal = run.signal;
    run.dispose();
    life.abort();
    expect(signal.aborted).toBe(false);
  });
});
