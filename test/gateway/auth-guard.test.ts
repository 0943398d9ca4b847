import { describe, expect, it } from 'vitest';
import { createAuthGuard } from '../../src/gateway/auth-guard.js';
import { allowedOrigins, isLoopback, originAllowed, weakTokenProblem } from '../../src/gateway/bind-policy.js';
import { admit, bearerToken } from '../../src/gateway/control-admission.js';
import { tokenMatches } from '../../src/gateway/token.js';
import { silentLogger } from '../../src/log.js';
import { captureLogger } from './control-helpers.js';

function guardAt(start = 0, extra: Partial<Parameters<typeof createAuthGuard>[0]> = {}) {
  const clock = { now: start };
  const guard = createAuthGuard({ logger: silentLogger(), now: () => clock.now, ...extra });
  return { clock, guard };
}

describe('auth guard', () => {
  it('delays each further failure from an address twice as long, up to the cap; other addresses start afresh', () => {
    const { guard } = guardAt();
    const delays = Array.from({ length: 8 }, () => guard.fail('10.0.0.1', 'connect'));
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(guard.fail('10.0.0.2', 'connect')).toBe(250);
  });

  it('backs off until the delay of the last failure has passed, and forgets a quiet address', () => {
    const { clock, guard } = guardAt();
    expect(guard.backingOff('a')).toBe(false);
    guard.fail('a', 'upgrade');
    guard.fail('a', 'upgrade'); // delay 500
    clock.now += 499;
    expect(guard.backingOff('a')).toBe(true);
    clock.now += 1;
    expect(guard.backingOff('a')).toBe(false);
    clock.now += 15 * 60_000 + 1;
    expect(guard.fail('a', 'upgrade')).toBe(250);
  });

  it('remembers a bounded number of addresses, dropping the least recently failing', () => {
    const { guard } = guardAt(0, { maxAddresses: 3 });
    for (const a of ['a', 'b', 'c']) guard.fail(a, 'connect');
    guard.fail('a', 'connect');
    guard.fail('d', 'connect'); // drops b
    expect(guard.size()).toBe(3);
    expect(guard.fail('b', 'connect')).toBe(250);
    expect(guard.fail('a', 'connect')).toBe(1000);
  });

  it('logs one warn line per address per minute, counting the failures it covers', () => {
    const { logger, lines } = captureLogger();
    const { clock, guard } = guardAt(0, { logger });
    for (let i = 0; i < 100; i++) guard.fail('a', 'connect');
    guard.fail('b', 'connect');
    expect(lines.map((l) => [l.remote, l.failures])).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
    clock.now += 60_000;
    guard.fail('a', 'connect');
    expect(lines.at(-1)).toMatchObject({ level: 40, remote: 'a', failures: 100, totalFailures: 101 });
  });
});

describe('tokens and bind policy', () => {
  it('compares tokens of any length without throwing', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abc', 'abcd')).toBe(false);
    expect(tokenMatches('abc', '')).toBe(false);
    expect(tokenMatches('abc', undefined)).toBe(false);
    expect(tokenMatches('ünïcode', 'ünïcode')).toBe(true);
  });

  it('knows loopback binds and refuses short tokens only beyond them', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.5', 'example.com']) expect(isLoopback(h), h).toBe(false);
    expect(weakTokenProblem('127.0.0.1', 'short')).toBeNull();
    expect(weakTokenProblem('0.0.0.0', undefined)).toBeNull();
    expect(weakTokenProblem('0.0.0.0', 'x'.repeat(16))).toBeNull();
    expect(weakTokenProblem('0.0.0.0', 'x'.repeat(15))).toContain('at least 16');
  });

  it("allows the gateway's own origin, loopback aliases only on a loopback bind, and configured ones", () => {
    const loop = allowedOrigins('127.0.0.1', 18789);
    expect([...loop].sort()).toEqual(['http://127.0.0.1:18789', 'http://[::1]:18789', 'http://localhost:18789']);
    const wide = allowedOrigins('0.0.0.0', 18789, ['https://Dash.Example/']);
    expect(originAllowed('http://localhost:18789', wide)).toBe(false);
    expect(originAllowed('https://dash.example', wide)).toBe(true);
    expect(originAllowed(undefined, wide)).toBe(true);
    expect(originAllowed('http://[::1]:18789', allowedOrigins('::1', 18789))).toBe(true);
  });

  it('reads only "Authorization: Bearer <token>"', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer   abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeNull();
    expect(bearerToken('Bearer a b')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });

  it('admits a bearer token holder past a full unauthenticated cap but never past the total cap', () => {
    const { guard } = guardAt();
    const policy = { token: 'tok', origins: new Set<string>(), limits: { maxSockets: 4, maxUnauthenticated: 2 }, guard };
    const req = (authorization: string | undefined, sockets: number, unauthenticated: number) =>
      admit({ headers: authorization ? { authorization } : {}, remote: 'r', sockets, unauthenticated }, policy);
    expect(req(undefined, 1, 1)).toEqual({ kind: 'accept', authenticated: false });
    expect(req(undefined, 2, 2)).toMatchObject({ kind: 'refuse', status: 503 });
    expect(req('Bearer tok', 2, 2)).toEqual({ kind: 'accept', authenticated: true });
    expect(req('Bearer tok', 4, 2)).toMatchObject({ kind: 'refuse', status: 503 });
    expect(req('Bearer bad', 1, 1)).toEqual({ kind: 'hold', delayMs: 250, status: 401, message: expect.any(String) });
  });
});
