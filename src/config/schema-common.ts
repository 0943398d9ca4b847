/**
 * Building blocks of the config schema. Every check that can fail carries an
 * "expected …" text (see `exp`) so `format-error.ts` can say exactly what a key
 * should hold: `historyLimit is -1; expected an integer ≥ 0`.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

/** Marks an error text as the "expected" half of a config error message. */
export const EXPECTED_PREFIX = 'expected:';
export function exp(text: string): string {
  return `${EXPECTED_PREFIX}${text}`;
}

/** An integer ≥ `min` (limits, counts, milliseconds). */
export function int(min = 0, max?: number) {
  const text = max === undefined ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
  const base = z
    .number({ error: exp(text) })
    .int({ error: exp(text) })
    .min(min, { error: exp(text) });
  return max === undefined ? base : base.max(max, { error: exp(text) });
}

/** A finite number > 0 (sizes in MB). */
export function positive() {
  return z.number({ error: exp('a number > 0') }).gt(0, { error: exp('a number > 0') });
}

export function bool() {
  return z.boolean({ error: exp('true or false') });
}

export function str() {
  return z.string({ error: exp('a string') });
}

export function nonEmptyStr() {
  return z.string({ error: exp('a non-empty string') }).min(1, { error: exp('a non-empty string') });
}

/** Ids used in paths and session keys: `work`, `main`, `team-2`. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const ID_EXPECTED =
  'an id of letters, digits, "-" and "_" (starting with a letter or digit, at most 64 characters)';
export function id() {
  return z.string({ error: exp(ID_EXPECTED) }).regex(ID_PATTERN, { error: exp(ID_EXPECTED) });
}

/** A list of non-empty strings. */
export function stringList() {
  return z.array(nonEmptyStr(), { error: exp('a list of strings') });
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/**
 * The longest duration any key takes (365 days). Longer ones are refused: they
 * mean "never", which is what leaving the key out says. Up to this, timers chain
 * (src/timers.ts), so `"30d"` waits 30 days rather than Node's 1 ms for delays
 * over 2^31−1 ms.
 */
export const MAX_DURATION_DAYS = 365;
export const MAX_DURATION_MS = MAX_DURATION_DAYS * 86_400_000;
export const DURATION_EXPECTED = `a duration such as "45s", "30m", "2h" or "1d", at most "${MAX_DURATION_DAYS}d"`;

/** Milliseconds of a duration string (`"30m"` → 1 800 000); null when it is not one. */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text.trim());
  if (!m) return null;
  return Math.round(Number(m[1]) * (UNIT_MS[m[2] as string] as number));
}

export function duration() {
  return z
    .string({ error: exp(DURATION_EXPECTED) })
    .refine((s) => {
      const ms = parseDuration(s);
      return ms !== null && ms <= MAX_DURATION_MS;
    }, { error: exp(DURATION_EXPECTED) });
}

/** Clamp a number into [min, max] (SPEC §3: factor and jitter are clamped, not rejected). */
export function clamped(min: number, max: number) {
  return z
    .number({ error: exp(`a number (clamped to ${min}..${max})`) })
    .transform((n) => Math.min(max, Math.max(min, n)));
}

/** True when `s` parses as a URL whose protocol is one of `protocols` (e.g. `'https:'`). */
function hasProtocol(s: string, protocols: readonly string[]): boolean {
  try {
    return protocols.includes(new URL(s).protocol);
  } catch {
    return false;
  }
}

/** A URL string with one of the given protocols; `expected` names it in errors. */
export function urlWith(protocols: readonly string[], expected: string) {
  return z.string({ error: exp(expected) }).refine((s) => hasProtocol(s, protocols), { error: exp(expected) });
}

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
export const HOST_EXPECTED = 'a host name or IP address such as "127.0.0.1", "::1", "0.0.0.0" or "localhost"';

/** True for an IPv4/IPv6 address or a DNS host name (no spaces, ports, schemes or paths). */
export function isHost(s: string): boolean {
  return isIP(s) !== 0 || HOST_NAME.test(s);
}

/** A host to bind or connect to (`gateway.bind`). */
export function host() {
  return z.string({ error: exp(HOST_EXPECTED) }).refine(isHost, { error: exp(HOST_EXPECTED) });
}
