/**
 * Replies wait for the connection (issue 13): what reply delivery knows of each
 * account's machine state (from `account.state.changed`), and the wait for an
 * account to be connected again.
 *
 * - `connected` → send now;
 * - `connecting`, `backing-off` → wait: the machine is on its way back;
 * - any other state (logged-out, degraded — conflict, outdated, gave up —, unlinked,
 *   linking a new device, stopped) is final for a reply: it fails with the account's
 *   own error (code and fix), or `WAGATE_ERR_NOT_LINKED` / `WAGATE_ERR_STOPPING`;
 * - a wait that outlives its deadline (`web.catchUpMinutes` after the reply was
 *   requested) fails with `WAGATE_ERR_REPLY_EXPIRED`.
 *
 * An account never heard of (no state event yet) is left to the caller: it tries the
 * connection, which fails at once when there is none.
 */
import type { AccountStateName, BusEvents } from '../../bus/events.js';
import { WagateError, type ErrorCode, type ErrorInfo } from '../../errors.js';

/** A clock for timers (xstate's shape; src/timers.ts `longTimerClock` by default). */
export interface TimerClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

/** The states a reply waits through. */
const WAITING = new Set<AccountStateName>(['connecting', 'backing-off']);

interface Known {
  state: AccountStateName;
  error: ErrorInfo | null;
}

export interface WaitOptions {
  /** When to give up (ms since epoch, `now()`'s clock). */
  deadline: number;
  /** `web.catchUpMinutes`, for the message of the expiry. */
  windowMinutes: number;
  signal: AbortSignal;
}

export class ConnectionWait {
  private readonly known = new Map<string, Known>();
  private readonly wakers = new Map<string, Set<() => void>>();
  /** Replies waiting right now. */
  waiting = 0;

  constructor(
    private readonly now: () => number,
    private readonly timers: TimerClock,
  ) {}

  /** Feed from the bus: the account entered a state; waiters re-check. */
  changed(ev: BusEvents['account.state.changed']): void {
    this.known.set(ev.accountId, { state: ev.to, error: ev.error });
    for (const wake of [...(this.wakers.get(ev.accountId) ?? [])]) wake();
  }

  /** The last state heard of; null when none yet. */
  state(accountId: string): AccountStateName | null {
    return this.known.get(accountId)?.state ?? null;
  }

  /** True when the account is known and not connected (a failed send should wait, not retry). */
  disconnected(accountId: string): boolean {
    const s = this.state(accountId);
    return s !== null && s !== 'connected';
  }

  /** True when a send may go at once, without `ready`'s wait: not stopped, and connected (or unknown). */
  readyNow(accountId: string, signal: AbortSignal): boolean {
    if (signal.aborted) return false;
    const k = this.known.get(accountId);
    return !k || k.state === 'connected';
  }

  /**
   * Resolves when the account is connected (or unknown); `true` when it had to wait
   * for that. Rejects when its state is final, the deadline passed, or `signal` aborted.
   */
  async ready(accountId: string, opts: WaitOptions): Promise<boolean> {
    let waited = false;
    for (;;) {
      if (opts.signal.aborted) throw opts.signal.reason;
      const k = this.known.get(accountId);
      if (!k || k.state === 'connected') return waited;
      if (!WAITING.has(k.state)) throw finalError(accountId, k);
      const left = opts.deadline - this.now();
      if (left <= 0) throw expiredError(accountId, k.state, opts.windowMinutes);
      waited = true;
      await this.change(accountId, left, opts.signal);
    }
  }

  /** Resolves at the account's next state change or after `ms`; rejects when `signal` aborts. */
  private change(accountId: string, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const set = this.wakers.get(accountId) ?? new Set<() => void>();
      this.wakers.set(accountId, set);
      this.waiting += 1;
      const done = () => {
        this.waiting -= 1;
        this.timers.clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        set.delete(wake);
        if (set.size === 0 && this.wakers.get(accountId) === set) this.wakers.delete(accountId);
      };
      const wake = () => {
        done();
        resolve();
      };
      const onAbort = () => {
        done();
        reject(signal.reason);
      };
      const timer = this.timers.setTimeout(wake, ms);
      set.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

const FINAL_CODE: Partial<Record<AccountStateName, ErrorCode>> = {
  'logged-out': 'WAGATE_ERR_LOGGED_OUT',
  degraded: 'WAGATE_ERR_GAVE_UP',
  unlinked: 'WAGATE_ERR_NOT_LINKED',
  linking: 'WAGATE_ERR_NOT_LINKED',
  stopped: 'WAGATE_ERR_STOPPING',
};

/** The reply's error for an account in a final state: the account's own error when it has one. */
export function finalError(accountId: string, k: Known): WagateError {
  const code = k.error?.code ?? FINAL_CODE[k.state] ?? 'WAGATE_ERR_NO_LISTENER';
  const why = k.error?.message ?? `the account is ${k.state}`;
  return new WagateError(code, `Reply not sent: account ${accountId} is ${k.state} and will not reconnect by itself (${why}).`);
}

export function expiredError(accountId: string, state: AccountStateName, windowMinutes: number): WagateError {
  return new WagateError(
    'WAGATE_ERR_REPLY_EXPIRED',
    `Reply not sent: account ${accountId} was not connected again within web.catchUpMinutes (${windowMinutes} min; still ${state}).`,
  );
}
