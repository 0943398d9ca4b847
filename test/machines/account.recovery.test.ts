/** Examples, one transition each: staying connected, backing off, the end states. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IDENTITY, T0, startAccount, type Harness, type HarnessOptions } from './harness.js';

let h: Harness | undefined;
afterEach(() => h?.actor.stop());

function connected(opts: HarnessOptions = {}): Harness {
  const x = startAccount(opts);
  x.send({ type: 'OPEN', identity: IDENTITY });
  return x;
}

function failOnce(x: Harness, code = 428): void {
  x.send({ type: 'CLOSE', code, reason: 'lost' });
}

describe('connected', () => {
  it('after heartbeatSeconds the attempt counter resets and connectedSince stays', () => {
    h = startAccount({ heartbeatSeconds: 30 });
    failOnce(h);
    h.advance(h.ctx().retryDelayMs ?? 0);
    h.send({ type: 'OPEN', identity: IDENTITY });
    const since = h.ctx().connectedSince;
    h.advance(29_999);
    expect(h.ctx().attempt).toBe(1);
    h.advance(1);
    expect(h.value()).toBe('connected');
    expect(h.ctx().attempt).toBe(0);
    expect(h.ctx().connectedSince).toBe(since);
  });

  it('a close before the connection is stable keeps counting attempts', () => {
    h = startAccount({ draws: [0] });
    failOnce(h);
    h.advance(2000);
    h.send({ type: 'OPEN', identity: IDENTITY });
    h.advance(1000);
    failOnce(h);
    expect(h.ctx()).toMatchObject({ attempt: 2, retryDelayMs: 3600 });
  });

  it('CLOSE 428 backs off, records the close and forgets connectedSince', () => {
    h = connected();
    h.advance(5000);
    h.send({ type: 'CLOSE', code: 428, reason: 'connection closed' });
    expect(h.value()).toBe('backing-off');
    expect(h.ctx()).toMatchObject({
      connectedSince: null,
      identity: IDENTITY,
      lastClose: { kind: 'retry', code: 428, reason: 'connection closed', at: T0 + 5000 },
    });
    expect(h.closes).toBe(1);
  });

  it('a stall (the watchdog gave up) backs off like a transient close, with its own kind', () => {
    h = connected({ draws: [0] });
    h.send({ type: 'CLOSE', code: null, reason: 'watchdog: silent 90 s', stalled: true });
    expect(h.value()).toBe('backing-off');
    expect(h.ctx()).toMatchObject({ attempt: 1, error: null, lastClose: { kind: 'stalled', code: null, reason: 'watchdog: silent 90 s' } });
    expect(h.closes).toBe(1);
    h.advance(2000);
    expect(h.opens).toEqual(['resume', 'resume']);
  });

  it('the first connection time of the run survives later connections', () => {
    h = connected();
    h.advance(1000);
    h.send({ type: 'CLOSE', code: 515, reason: 'restart required' });
    h.send({ type: 'OPEN', identity: IDENTITY });
    expect(h.ctx()).toMatchObject({ firstConnectedAt: T0, connectedSince: T0 + 1000 });
  });

  it('CLOSE 515 replaces the connection at once without counting', () => {
    h = connected();
    h.send({ type: 'CLOSE', code: 515, reason: 'restart required' });
    expect(h.value()).toBe('connecting');
    expect(h.ctx().attempt).toBe(0);
    expect(h.opens).toEqual(['resume', 'resume']);
    expect(h.closes).toBe(1);
  });

  it('LOGOUT closes the socket, forgets the identity and unlinks', () => {
    h = connected();
    h.send({ type: 'LOGOUT' });
    expect(h.value()).toBe('unlinked');
    expect(h.closes).toBe(1);
    expect(h.ctx()).toMatchObject({ linked: false, identity: null, connectedSince: null });
    expect(h.clock.pending.size).toBe(0);
  });

  it('STOP closes the socket and leaves no timer behind', () => {
    h = connected();
    h.send({ type: 'STOP' });
    expect(h.value()).toBe('stopped');
    expect(h.closes).toBe(1);
    expect(h.clock.pending.size).toBe(0);
  });
});

describe('backing-off', () => {
  it('on entry picks the delay from the policy and the random draw', () => {
    h = startAccount({ draws: [0.4], reconnect: { initialMs: 1000, jitter: 0.5 } });
    failOnce(h);
    expect(h.drawn).toEqual([0.4]);
    expect(h.ctx()).toMatchObject({ attempt: 1, retryDelayMs: 1200, nextRetryAt: T0 + 1200 });
  });

  it('does not retry one millisecond early', () => {
    h = startAccount({ draws: [0] });
    failOnce(h);
    h.advance(1999);
    expect(h.value()).toBe('backing-off');
    expect(h.opens).toEqual(['resume']);
  });

  it('when the delay has passed it connects again and clears the retry fields', () => {
    h = startAccount({ draws: [0] });
    failOnce(h);
    h.advance(2000);
    expect(h.value()).toBe('connecting');
    expect(h.opens).toEqual(['resume', 'resume']);
    expect(h.ctx()).toMatchObject({ attempt: 1, retryDelayMs: null, nextRetryAt: null });
  });

  it('ignores LOGIN, START and a stale CLOSE', () => {
    h = startAccount();
    failOnce(h);
    const before = h.ctx();
    h.send({ type: 'LOGIN' });
    h.send({ type: 'START', linked: true });
    h.send({ type: 'CLOSE', code: 401, reason: 'late' });
    expect(h.value()).toBe('backing-off');
    expect(h.ctx()).toEqual(before);
  });

  it('LOGOUT cancels the retry and unlinks, closing nothing more', () => {
    h = startAccount();
    failOnce(h);
    expect(h.closes).toBe(1);
    h.send({ type: 'LOGOUT' });
    expect(h.value()).toBe('unlinked');
    expect(h.clock.pending.size).toBe(0);
    expect(h.closes).toBe(1);
  });

  it('STOP cancels the retry: no timer stays pending and nothing reopens', () => {
    h = startAccount();
    failOnce(h);
    h.send({ type: 'STOP' });
    expect(h.value()).toBe('stopped');
    expect(h.clock.pending.size).toBe(0);
    h.advance(24 * 3600_000);
    expect(h.opens).toEqual(['resume']);
  });
});

describe('logged-out', () => {
  it('only LOGIN leaves it: START and RECONNECT do nothing, time does nothing', () => {
    h = startAccount();
    h.send({ type: 'CLOSE', code: 403, reason: 'forbidden' });
    h.send({ type: 'START', linked: true });
    h.send({ type: 'RECONNECT' });
    h.advance(3600_000);
    expect(h.value()).toBe('logged-out');
    expect(h.ctx().linked).toBe(true);
    h.send({ type: 'LOGIN' });
    expect(h.value()).toBe('linking');
    expect(h.opens).toEqual(['resume', 'link']);
    expect(h.ctx()).toMatchObject({ linked: false, error: null, qrCount: 0, identity: null });
  });

  it('LOGOUT unlinks', () => {
    h = startAccount();
    h.send({ type: 'CLOSE', code: 402, reason: 'banned' });
    h.send({ type: 'LOGOUT' });
    expect(h.value()).toBe('unlinked');
    expect(h.ctx().error).toBeNull();
  });
});

describe('degraded', () => {
  it('RECONNECT connects again with attempts reset and the error cleared', () => {
    h = startAccount({ reconnect: { maxAttempts: 1 } });
    failOnce(h);
    h.advance(h.ctx().retryDelayMs ?? 0);
    failOnce(h);
    expect(h.value()).toBe('degraded');
    h.send({ type: 'RECONNECT' });
    expect(h.value()).toBe('connecting');
    expect(h.ctx()).toMatchObject({ attempt: 0, error: null });
  });

  it('RECONNECT without creds does nothing; LOGIN links', () => {
    h = startAccount({ hasCreds: false });
    h.send({ type: 'LOGIN' });
    h.send({ type: 'CLOSE', code: 440, reason: 'conflict' });
    h.send({ type: 'RECONNECT' });
    expect(h.value()).toBe('degraded');
    h.send({ type: 'LOGIN' });
    expect(h.value()).toBe('linking');
  });

  it('STOP stops without closing anything more (the connection was released on the way in)', () => {
    h = startAccount();
    h.send({ type: 'CLOSE', code: 440, reason: 'conflict' });
    expect(h.closes).toBe(1);
    h.send({ type: 'STOP' });
    expect(h.value()).toBe('stopped');
    expect(h.closes).toBe(1);
  });
});

describe('stopped', () => {
  it('is final: the actor is done and ignores every event', () => {
    h = startAccount();
    h.send({ type: 'STOP' });
    expect(h.actor.getSnapshot().status).toBe('done');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    h.send({ type: 'LOGIN' });
    h.send({ type: 'RECONNECT' });
    expect(h.value()).toBe('stopped');
    expect(h.opens).toEqual(['resume']);
    expect(warn).toHaveBeenCalledTimes(2);
  });
});
