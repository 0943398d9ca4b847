/**
 * The suite's one way to wait for an outcome: poll a condition (real time,
 * bounded) until it holds. It waits for something to happen, never for time to
 * pass: a negative check ("nothing more was sent") waits for the outcome that
 * makes it meaningful (see `handled`/`settled` in test/e2e/harness.ts), not for
 * a sleep.
 */

// Taken at import, before any test fakes the timers: `until` keeps polling in
// real time while a test drives its code with vi.useFakeTimers().
const realSetTimeout = globalThis.setTimeout;
const realNow = performance.now.bind(performance);

export async function until<T>(fn: () => T | Promise<T>, what = 'a condition', timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = realNow() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (realNow() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => realSetTimeout(r, 20));
  }
}
