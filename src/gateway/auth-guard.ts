/**
 * Failed control-port authentications, per remote address: how long to wait
 * before answering the next failure (exponential, capped), and when to log.
 *
 * A success is never delayed, so the token holder sharing an address with a
 * guesser still gets in at once. Memory is bounded: at most `maxAddresses`
 * entries (the least recently failing one is dropped), and an address quiet for
 * `forgetAfterMs` starts afresh. Logging is one warn line per address per
 * `logEveryMs`, carrying how many failures it covers; the guessed token is
 * never logged.
 */
import type { Logger } from 'pino';

export interface AuthGuardOptions {
  logger: Logger;
  now: () => number;
  /** Delay after the first failure; doubles with each further one. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  forgetAfterMs?: number;
  logEveryMs?: number;
  maxAddresses?: number;
}

interface Entry {
  failures: number;
  lastFailureAt: number;
  /** Failures not yet reported in a log line. */
  unlogged: number;
  loggedAt: number | null;
}

export interface AuthGuard {
  /** Record one failed authentication from `address`; returns the delay (ms) before answering it. */
  fail(address: string, how: string): number;
  /** True while `address` is still inside the delay of its last failure. */
  backingOff(address: string): boolean;
  /** Addresses currently remembered (for tests: bounded memory). */
  size(): number;
}

export const AUTH_GUARD_DEFAULTS = {
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  forgetAfterMs: 15 * 60_000,
  logEveryMs: 60_000,
  maxAddresses: 1024,
} as const;

export function createAuthGuard(opts: AuthGuardOptions): AuthGuard {
  const d = AUTH_GUARD_DEFAULTS;
  const cfg = {
    baseDelayMs: opts.baseDelayMs ?? d.baseDelayMs,
    maxDelayMs: opts.maxDelayMs ?? d.maxDelayMs,
    forgetAfterMs: opts.forgetAfterMs ?? d.forgetAfterMs,
    logEveryMs: opts.logEveryMs ?? d.logEveryMs,
    maxAddresses: opts.maxAddresses ?? d.maxAddresses,
  };
  const entries = new Map<string, Entry>();
  const delayFor = (failures: number) => Math.min(cfg.maxDelayMs, cfg.baseDelayMs * 2 ** Math.min(failures - 1, 30));

  function current(address: string, now: number): Entry | undefined {
    const e = entries.get(address);
    if (e && now - e.lastFailureAt > cfg.forgetAfterMs) {
      entries.delete(address);
      return undefined;
    }
    return e;
  }

  return {
    fail(address, how) {
      const now = opts.now();
      const e = current(address, now) ?? { failures: 0, lastFailureAt: now, unlogged: 0, loggedAt: null };
      e.failures += 1;
      e.unlogged += 1;
      e.lastFailureAt = now;
      entries.delete(address); // re-insert: Map order = least recently failing first
      entries.set(address, e);
      while (entries.size > cfg.maxAddresses) entries.delete(entries.keys().next().value as string);
      if (e.loggedAt === null || now - e.loggedAt >= cfg.logEveryMs) {
        opts.logger.warn(
          { remote: address, failures: e.unlogged, totalFailures: e.failures, how },
          `control auth failed: ${e.unlogged} failed attempt(s) from ${address} since the last report`,
        );
        e.loggedAt = now;
        e.unlogged = 0;
      }
      return delayFor(e.failures);
    },
    backingOff(address) {
      const now = opts.now();
      const e = current(address, now);
      return e !== undefined && now - e.lastFailureAt < delayFor(e.failures);
    },
    size: () => entries.size,
  };
}

