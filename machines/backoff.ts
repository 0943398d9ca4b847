/**
 * Reconnect backoff (SPEC §3): the policy's clamps and the delay formula.
 * Pure: no clock, no randomness of its own — the caller passes `r`.
 */

/** `web.reconnect` after normalization; every field present and within bounds. */
export interface ReconnectPolicy {
  /** First delay in ms (default 2000, at least 250). */
  initialMs: number;
  /** Largest delay in ms (default 30000, at least `initialMs`). */
  maxMs: number;
  /** Growth per attempt (default 1.8, clamped to [1.1, 10]). */
  factor: number;
  /** Share of the base delay added at random (default 0.25, clamped to [0, 1]). */
  jitter: number;
  /** Failed attempts in a row before giving up (default 12; 0 = never give up). */
  maxAttempts: number;
}

export const DEFAULT_RECONNECT_POLICY: Readonly<ReconnectPolicy> = Object.freeze({
  initialMs: 2000,
  maxMs: 30000,
  factor: 1.8,
  jitter: 0.25,
  maxAttempts: 12,
});

/** Largest delay a Node timer honours; longer ones fire after 1 ms instead. */
export const MAX_TIMER_MS = 2_147_483_647;

function finiteOr(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/**
 * Fill in defaults and apply the SPEC §3 clamps. Missing or non-finite fields take
 * their default; `initialMs`/`maxMs` are rounded to whole milliseconds and kept within
 * what a Node timer can wait (MAX_TIMER_MS, ~24.8 days); a negative
 * `maxAttempts` becomes 0 (unlimited) and a fractional one is floored.
 */
export function normalizeReconnectPolicy(p: Partial<ReconnectPolicy> = {}): ReconnectPolicy {
  const d = DEFAULT_RECONNECT_POLICY;
  const initialMs = Math.round(clamp(finiteOr(p.initialMs, d.initialMs), 250, MAX_TIMER_MS));
  const maxMs = Math.round(clamp(finiteOr(p.maxMs, d.maxMs), initialMs, MAX_TIMER_MS));
  const factor = clamp(finiteOr(p.factor, d.factor), 1.1, 10);
  const jitter = clamp(finiteOr(p.jitter, d.jitter), 0, 1);
  const maxAttempts = Math.max(0, Math.floor(finiteOr(p.maxAttempts, d.maxAttempts)));
  return { initialMs, maxMs, factor, jitter, maxAttempts };
}

/**
 * Delay before retry number `attempt` (1-based):
 * `min(maxMs, round(base + base·jitter·r))`, `base = initialMs·factor^(attempt−1)`.
 * `r` is a uniform draw in [0, 1); values outside are clamped. An attempt below 1
 * counts as 1. Expects a normalized policy.
 */
export function backoffDelay(policy: ReconnectPolicy, attempt: number, r: number): number {
  const n = Math.max(1, Math.floor(attempt));
  const draw = Number.isFinite(r) ? clamp(r, 0, 1) : 0;
  const base = policy.initialMs * Math.pow(policy.factor, n - 1);
  if (!Number.isFinite(base)) return policy.maxMs;
  return Math.min(policy.maxMs, Math.round(base + base * policy.jitter * draw));
}
