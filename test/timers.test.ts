import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { longTimerClock, MAX_TIMER_MS, setLongInterval, setLongTimeout } from '../src/timers.js';
import { MAX_DURATION_MS } from '../src/config/schema-common.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Delays across the whole range the config allows, with the edges around Node's limit weighted in. */
const delays = fc.oneof(
  fc.integer({ min: 0, max: MAX_DURATION_MS }),
  fc.integer({ min: MAX_TIMER_MS - 3, max: MAX_TIMER_MS + 3 }),
  fc.integer({ min: 0, max: 5 }),
  fc.constantFrom(MAX_DURATION_MS, 2 * MAX_TIMER_MS, 2 * MAX_TIMER_MS + 1, 30 * 86_400_000),
);

describe('the fake clock is honest about Node', () => {
  it('a plain setTimeout over 2^31−1 ms fires after 1 ms (the bug this module exists for)', () => {
    const fn = vi.fn();
    setTimeout(fn, MAX_TIMER_MS + 1);
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});

describe('setLongTimeout', () => {
  it('property: never fires before the delay, fires exactly once at it', () => {
    fc.assert(
      fc.property(delays, (ms) => {
        vi.clearAllTimers();
        const fn = vi.fn();
        setLongTimeout(fn, ms);
        if (ms > 0) {
          vi.advanceTimersByTime(ms - 1);
          expect(fn).not.toHaveBeenCalled();
        }
        vi.advanceTimersByTime(1);
        expect(fn).toHaveBeenCalledTimes(1);
        vi.advanceTimersByTime(2 * MAX_TIMER_MS);
        expect(fn).toHaveBeenCalledTimes(1);
      }),
      { numRuns: 200 },
    );
  });

  it('property: fractional delays round up, never down', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 4 * MAX_TIMER_MS, noNaN: true }), (ms) => {
        vi.clearAllTimers();
        const fn = vi.fn();
        setLongTimeout(fn, ms);
        vi.advanceTimersByTime(Math.ceil(ms) - 1);
        expect(fn).not.toHaveBeenCalled();
        vi.advanceTimersByTime(1);
        expect(fn).toHaveBeenCalledTimes(1);
      }),
      { numRuns: 100 },
    );
  });

  it('clear() stops it, also between the chained pieces', () => {
    const fn = vi.fn();
    const t = setLongTimeout(fn, 3 * MAX_TIMER_MS);
    vi.advanceTimersByTime(MAX_TIMER_MS + 5);
    t.clear();
    t.clear();
    vi.advanceTimersByTime(5 * MAX_TIMER_MS);
    expect(fn).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('Infinity never fires; NaN and negatives fire on the next tick', () => {
    const never = vi.fn();
    setLongTimeout(never, Infinity);
    vi.advanceTimersByTime(10 * MAX_TIMER_MS);
    expect(never).not.toHaveBeenCalled();
    vi.clearAllTimers();
    const soon = vi.fn();
    setLongTimeout(soon, Number.NaN);
    setLongTimeout(soon, -5);
    vi.advanceTimersByTime(1);
    expect(soon).toHaveBeenCalledTimes(2);
  });

  it('unref: the underlying Node timers do not keep the process alive (option, method, later pieces)', () => {
    vi.useRealTimers();
    const spy = vi.spyOn(globalThis, 'setTimeout');
    try {
      const a = setLongTimeout(() => undefined, 3 * MAX_TIMER_MS, { unref: true });
      const b = setLongTimeout(() => undefined, 10_000);
      const c = setLongTimeout(() => undefined, 10_000);
      b.unref();
      const [ha, hb, hc] = spy.mock.results.map((r) => r.value as NodeJS.Timeout);
      expect([ha?.hasRef(), hb?.hasRef(), hc?.hasRef()]).toEqual([false, false, true]);
      for (const t of [a, b, c]) t.clear();
    } finally {
      spy.mockRestore();
    }
  });
});

describe('setLongInterval', () => {
  it('property: the n-th run is never before n·ms and happens by n·ms', () => {
    fc.assert(
      fc.property(delays.filter((ms) => ms >= 1), fc.integer({ min: 1, max: 3 }), (ms, n) => {
        vi.clearAllTimers();
        const fn = vi.fn();
        const t = setLongInterval(fn, ms);
        for (let i = 1; i <= n; i++) {
          vi.advanceTimersByTime(ms - 1);
          expect(fn).toHaveBeenCalledTimes(i - 1);
          vi.advanceTimersByTime(1);
          expect(fn).toHaveBeenCalledTimes(i);
        }
        t.clear();
        vi.advanceTimersByTime(2 * ms);
        expect(fn).toHaveBeenCalledTimes(n);
      }),
      { numRuns: 100 },
    );
  });

  it('clear() inside the callback stops it', () => {
    const t = setLongInterval(() => t.clear(), MAX_TIMER_MS + 1);
    vi.advanceTimersByTime(10 * MAX_TIMER_MS);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('longTimerClock (xstate and the watchdog)', () => {
  it('waits the full delay and can be cleared', () => {
    const fn = vi.fn();
    longTimerClock.setTimeout(fn, 30 * 86_400_000);
    vi.advanceTimersByTime(1000);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(30 * 86_400_000);
    expect(fn).toHaveBeenCalledTimes(1);
    const gone = vi.fn();
    const id = longTimerClock.setTimeout(gone, 5);
    longTimerClock.clearTimeout(id);
    vi.advanceTimersByTime(10);
    expect(gone).not.toHaveBeenCalled();
  });
});
