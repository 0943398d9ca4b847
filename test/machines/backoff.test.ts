import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_TIMER_MS, backoffDelay, normalizeReconnectPolicy } from '../../machines/index.js';

describe('normalizeReconnectPolicy', () => {
  it('fills in the SPEC defaults when nothing is given', () => {
    expect(normalizeReconnectPolicy({})).toEqual({
      initialMs: 2000,
      maxMs: 30000,
      factor: 1.8,
      jitter: 0.25,
      maxAttempts: 12,
    });
  });

  it('raises initialMs to at least 250', () => {
    expect(normalizeReconnectPolicy({ initialMs: 10 }).initialMs).toBe(250);
    expect(normalizeReconnectPolicy({ initialMs: 250 }).initialMs).toBe(250);
    expect(normalizeReconnectPolicy({ initialMs: 251 }).initialMs).toBe(251);
  });

  it('keeps maxMs at least initialMs', () => {
    expect(normalizeReconnectPolicy({ initialMs: 5000, maxMs: 1000 }).maxMs).toBe(5000);
    expect(normalizeReconnectPolicy({ initialMs: 100, maxMs: 100 }).maxMs).toBe(250);
    expect(normalizeReconnectPolicy({ maxMs: 60000 }).maxMs).toBe(60000);
  });

  it('never lets a delay exceed what a Node timer can wait', () => {
    expect(normalizeReconnectPolicy({ maxMs: 1e12 }).maxMs).toBe(MAX_TIMER_MS);
    expect(normalizeReconnectPolicy({ initialMs: 1e12 })).toMatchObject({ initialMs: MAX_TIMER_MS, maxMs: MAX_TIMER_MS });
  });

  it('clamps factor to [1.1, 10]', () => {
    expect(normalizeReconnectPolicy({ factor: 1 }).factor).toBe(1.1);
    expect(normalizeReconnectPolicy({ factor: 11 }).factor).toBe(10);
    expect(normalizeReconnectPolicy({ factor: 2 }).factor).toBe(2);
  });

  it('clamps jitter to [0, 1]', () => {
    expect(normalizeReconnectPolicy({ jitter: -0.5 }).jitter).toBe(0);
    expect(normalizeReconnectPolicy({ jitter: 3 }).jitter).toBe(1);
    expect(normalizeReconnectPolicy({ jitter: 0 }).jitter).toBe(0);
  });

  it('keeps maxAttempts a non-negative integer, 0 meaning unlimited', () => {
    expect(normalizeReconnectPolicy({ maxAttempts: 0 }).maxAttempts).toBe(0);
    expect(normalizeReconnectPolicy({ maxAttempts: 3.7 }).maxAttempts).toBe(3);
    expect(normalizeReconnectPolicy({ maxAttempts: -2 }).maxAttempts).toBe(0);
  });

  it('treats non-finite numbers as missing', () => {
    expect(
      normalizeReconnectPolicy({ initialMs: NaN, maxMs: Infinity, factor: NaN, jitter: NaN, maxAttempts: NaN }),
    ).toEqual(normalizeReconnectPolicy({}));
  });

  it('always yields a policy inside the bounds', () => {
    const num = fc.oneof(fc.double(), fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 1e13 }));
    fc.assert(
      fc.property(
        fc.record({ initialMs: num, maxMs: num, factor: num, jitter: num, maxAttempts: num }, { requiredKeys: [] }),
        (raw) => {
          const p = normalizeReconnectPolicy(raw);
          expect(p.initialMs).toBeGreaterThanOrEqual(250);
          expect(Number.isInteger(p.initialMs) && Number.isInteger(p.maxMs)).toBe(true);
          expect(p.maxMs).toBeGreaterThanOrEqual(p.initialMs);
          expect(p.maxMs).toBeLessThanOrEqual(MAX_TIMER_MS);
          expect(p.factor).toBeGreaterThanOrEqual(1.1);
          expect(p.factor).toBeLessThanOrEqual(10);
          expect(p.jitter).toBeGreaterThanOrEqual(0);
          expect(p.jitter).toBeLessThanOrEqual(1);
          expect(Number.isInteger(p.maxAttempts) && p.maxAttempts >= 0).toBe(true);
        },
      ),
    );
  });
});

describe('backoffDelay', () => {
  const spec = normalizeReconnectPolicy({});

  it('starts at initialMs for the first attempt with no jitter drawn', () => {
    expect(backoffDelay(spec, 1, 0)).toBe(2000);
  });

  it('adds base·jitter·r', () => {
    expect(backoffDelay(spec, 1, 0.5)).toBe(2250);
    expect(backoffDelay(spec, 2, 0)).toBe(3600);
    expect(backoffDelay(spec, 2, 0.999)).toBe(Math.round(3600 + 3600 * 0.25 * 0.999));
  });

  it('is capped at maxMs', () => {
    expect(backoffDelay(spec, 6, 0)).toBe(Math.min(30000, Math.round(2000 * 1.8 ** 5)));
    expect(backoffDelay(spec, 7, 0)).toBe(30000);
    expect(backoffDelay(spec, 10_000, 0.9)).toBe(30000);
  });

  it('treats attempts below 1 as the first', () => {
    expect(backoffDelay(spec, 0, 0)).toBe(2000);
  });

  it('always lies within [initialMs, maxMs] and follows the formula', () => {
    fc.assert(
      fc.property(
        fc.record({
          initialMs: fc.integer({ min: 0, max: 100_000 }),
          maxMs: fc.integer({ min: 0, max: 1_000_000 }),
          factor: fc.double({ min: 0, max: 20, noNaN: true }),
          jitter: fc.double({ min: 0, max: 2, noNaN: true }),
        }),
        fc.integer({ min: 1, max: 200 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (raw, attempt, r) => {
          const p = normalizeReconnectPolicy(raw);
          const d = backoffDelay(p, attempt, r);
          const base = p.initialMs * p.factor ** (attempt - 1);
          expect(d).toBe(Math.min(p.maxMs, Math.round(base + base * p.jitter * r)));
          expect(d).toBeGreaterThanOrEqual(p.initialMs);
          expect(d).toBeLessThanOrEqual(p.maxMs);
        },
      ),
    );
  });
});
