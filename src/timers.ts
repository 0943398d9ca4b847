/**
 * Timers that never fire early. Node (and browsers) fire any `setTimeout` /
 * `setInterval` longer than 2^31−1 ms (~24.8 days) after 1 ms; a heartbeat of
 * `"30d"` would then run ~800 times a second. `setLongTimeout` chains timers of
 * at most `MAX_TIMER_MS` until the whole delay has passed; `setLongInterval`
 * repeats it. Every timer whose delay comes from the config goes through here
 * (agent heartbeats, the web heartbeat, model timeouts, the account machine's
 * xstate delays and its watchdog).
 *
 * No clock is read: Node timers never fire before their delay, so the sum of the
 * chained pieces is never less than the requested delay. A delay that is NaN,
 * negative or 0 fires on the next timer tick; `Infinity` never fires.
 */

/** Largest delay a Node timer honours; longer ones fire after 1 ms instead. */
export const MAX_TIMER_MS = 2_147_483_647;

export interface LongTimer {
  /** Cancel it; the callback will not run (again). Safe to call more than once. */
  clear(): void;
  /** Do not keep the process alive for this timer (like `Timeout.unref()`). */
  unref(): LongTimer;
}

export interface LongTimerOptions {
  /** Start unref'ed (does not keep the event loop alive). */
  unref?: boolean;
}

/** Whole milliseconds to wait: NaN and negatives become 0, fractions round up. */
function normalize(ms: number): number {
  if (Number.isNaN(ms) || ms <= 0) return 0;
  return Math.ceil(ms);
}

/** Run `fn` once, no sooner than `ms` from now, however large `ms` is. */
export function setLongTimeout(fn: () => void, ms: number, opts: LongTimerOptions = {}): LongTimer {
  let remaining = normalize(ms);
  let handle: NodeJS.Timeout | null = null;
  let unrefd = opts.unref === true;
  let cleared = false;
  const arm = () => {
    const piece = Math.min(remaining, MAX_TIMER_MS);
    handle = setTimeout(() => {
      handle = null;
      remaining -= piece;
      if (cleared) return;
      if (remaining > 0) arm();
      else fn();
    }, piece);
    if (unrefd) handle.unref();
  };
  arm();
  const timer: LongTimer = {
    clear() {
      cleared = true;
      if (handle) clearTimeout(handle);
      handle = null;
    },
    unref() {
      unrefd = true;
      handle?.unref();
      return timer;
    },
  };
  return timer;
}

/** Run `fn` every `ms` (first run after `ms`), each run no sooner than `ms` after the last was due. */
export function setLongInterval(fn: () => void, ms: number, opts: LongTimerOptions = {}): LongTimer {
  let current: LongTimer | null = null;
  let cleared = false;
  let unrefd = opts.unref === true;
  const period = Math.max(1, normalize(ms)); // like setInterval: never a busy loop
  const arm = () => {
    current = setLongTimeout(
      () => {
        if (cleared) return;
        arm();
        fn();
      },
      period,
      { unref: unrefd },
    );
  };
  arm();
  const timer: LongTimer = {
    clear() {
      cleared = true;
      current?.clear();
    },
    unref() {
      unrefd = true;
      current?.unref();
      return timer;
    },
  };
  return timer;
}

/**
 * A `{setTimeout, clearTimeout}` pair over the long timers, for code that takes a
 * clock: xstate's `createActor({ clock })` and the connection watchdog.
 */
export const longTimerClock = {
  setTimeout: (fn: (...args: unknown[]) => void, ms: number): unknown => setLongTimeout(() => fn(), ms),
  clearTimeout: (id: unknown): void => {
    (id as LongTimer | undefined)?.clear();
  },
};
