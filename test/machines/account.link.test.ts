/** Examples, one transition each: starting, linking by QR, connecting with creds. */
import { afterEach, describe, expect, it } from 'vitest';
import { CREDS_ERROR, IDENTITY, T0, startAccount, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(() => h?.actor.stop());

describe('an account before START', () => {
  it('waits in unlinked and opens nothing, not knowing about creds yet', () => {
    h = startAccount({ hasCreds: true, start: false });
    expect(h.value()).toBe('unlinked');
    expect(h.ctx().linked).toBe(false);
    expect(h.opens).toEqual([]);
  });

  it('keeps plain-JSON context with a normalized policy', () => {
    h = startAccount({ start: false, reconnect: { factor: 50 }, heartbeatSeconds: 0 });
    const ctx = h.ctx();
    expect(JSON.parse(JSON.stringify(ctx))).toEqual(ctx);
    expect(ctx.policy.factor).toBe(10);
    expect(ctx.heartbeatSeconds).toBe(60);
    expect(ctx.accountId).toBe('acc1');
  });

  it('caps heartbeatSeconds so the stable timer fits a Node timer', () => {
    h = startAccount({ start: false, heartbeatSeconds: 1e9 });
    expect(h.ctx().heartbeatSeconds * 1000).toBeLessThanOrEqual(2_147_483_647);
  });
});

describe('unlinked', () => {
  it('START with saved creds connects with them', () => {
    h = startAccount({ hasCreds: true });
    expect(h.value()).toBe('connecting');
    expect(h.opens).toEqual(['resume']);
  });

  it('START without creds stays unlinked and opens nothing', () => {
    h = startAccount({ hasCreds: false });
    expect(h.value()).toBe('unlinked');
    expect(h.opens).toEqual([]);
  });

  it('START with creds that could not be read goes degraded with that error, and opens nothing', () => {
    h = startAccount({ start: false });
    h.send({ type: 'START', error: CREDS_ERROR });
    expect(h.value()).toBe('degraded');
    expect(h.ctx()).toMatchObject({ linked: false, error: CREDS_ERROR, lastClose: null });
    expect(h.opens).toEqual([]);
    h.send({ type: 'RECONNECT' });
    expect(h.value()).toBe('degraded');
    h.send({ type: 'LOGIN' });
    expect(h.value()).toBe('linking');
  });

  it('LOGIN starts linking by QR', () => {
    h = startAccount({ hasCreds: false });
    h.send({ type: 'LOGIN' });
    expect(h.value()).toBe('linking');
    expect(h.opens).toEqual(['link']);
  });
});

describe('linking', () => {
  const linking = (): Harness => {
    const x = startAccount({ hasCreds: false });
    x.send({ type: 'LOGIN' });
    return x;
  };

  it('QR counts the references shown', () => {
    h = linking();
    h.send({ type: 'QR', qr: 'ref-1' });
    h.send({ type: 'QR', qr: 'ref-2' });
    expect(h.ctx().qrCount).toBe(2);
    expect(h.value()).toBe('linking');
  });

  it('CLOSE 515 after the scan reconnects at once with the new creds, uncounted', () => {
    h = linking();
    h.send({ type: 'CLOSE', code: 515, reason: 'restart required' });
    expect(h.value()).toBe('connecting');
    expect(h.opens).toEqual(['link', 'resume']);
    expect(h.closes).toBe(1);
    expect(h.ctx()).toMatchObject({
      linked: true,
      attempt: 0,
      lastClose: { kind: 'restart', code: 515, reason: 'restart required', at: T0 },
    });
  });

  it('OPEN connects on the same socket and stores who we are', () => {
    h = linking();
    h.send({ type: 'OPEN', identity: IDENTITY });
    expect(h.value()).toBe('connected');
    expect(h.ctx()).toMatchObject({ linked: true, identity: IDENTITY, connectedSince: T0, firstConnectedAt: T0, error: null });
    expect(h.opens).toEqual(['link']);
    expect(h.closes).toBe(0);
  });

  it('a local failure to open (CLOSE with an error) goes degraded with that error, not logged-out', () => {
    h = linking();
    h.send({ type: 'CLOSE', code: null, reason: CREDS_ERROR.message, error: CREDS_ERROR });
    expect(h.value()).toBe('degraded');
    expect(h.ctx().error).toEqual(CREDS_ERROR);
    expect(h.ctx().lastClose).toMatchObject({ kind: 'failed', code: null });
    expect(h.closes).toBe(1);
  });

  it('CLOSE 408 (QR refs ran out) ends the attempt with a login timeout', () => {
    h = linking();
    h.send({ type: 'CLOSE', code: 408, reason: 'QR refs attempts ended' });
    expect(h.value()).toBe('unlinked');
    expect(h.ctx().error?.code).toBe('WAGATE_ERR_LOGIN_TIMEOUT');
    expect(h.ctx().error?.message).toMatch(/QR code was not scanned in time; run `wagate channels login` again/);
    expect(h.clock.pending.size).toBe(0);
  });

  it('CLOSE 408 while linking by pairing code says the code was not entered, and how to ask for a new one', () => {
    h = startAccount({ hasCreds: false });
    h.send({ type: 'LOGIN', phone: '+15551234567' });
    h.send({ type: 'CLOSE', code: 408, reason: 'QR refs attempts ended' });
    expect(h.value()).toBe('unlinked');
    expect(h.ctx().error).toEqual({
      code: 'WAGATE_ERR_LOGIN_TIMEOUT',
      message: 'The pairing code was not entered on +15551234567 in time; run `wagate channels login --phone +15551234567` again.',
    });
  });

  it('CLOSE 428 ends the attempt and says to log in again, without retrying', () => {
    h = linking();
    h.send({ type: 'CLOSE', code: 428, reason: 'connection closed' });
    expect(h.value()).toBe('unlinked');
    expect(h.ctx().error).toMatchObject({ code: 'WAGATE_ERR_NOT_LINKED' });
    expect(h.ctx().error?.message).toContain('wagate channels login');
    expect(h.ctx().attempt).toBe(0);
  });

  it('CLOSE 401 goes to logged-out', () => {
    h = linking();
    h.send({ type: 'CLOSE', code: 401, reason: 'logged out' });
    expect(h.value()).toBe('logged-out');
    expect(h.ctx().error?.code).toBe('WAGATE_ERR_LOGGED_OUT');
  });

  it('CLOSE 440 goes to degraded with a conflict', () => {
    h = linking();
    h.send({ type: 'CLOSE', code: 440, reason: 'replaced' });
    expect(h.value()).toBe('degraded');
    expect(h.ctx().error?.code).toBe('WAGATE_ERR_CONFLICT');
  });

  it('CLOSE 0 (our own close) changes nothing', () => {
    h = linking();
    const before = h.ctx();
    h.send({ type: 'CLOSE', code: 0, reason: 'closed by the gateway' });
    expect(h.value()).toBe('linking');
    expect(h.ctx()).toEqual(before);
  });

  it('LOGOUT closes the socket and returns to unlinked', () => {
    h = linking();
    h.send({ type: 'LOGOUT' });
    expect(h.value()).toBe('unlinked');
    expect(h.closes).toBe(1);
  });

  it('STOP closes the socket and stops', () => {
    h = linking();
    h.send({ type: 'STOP' });
    expect(h.value()).toBe('stopped');
    expect(h.closes).toBe(1);
  });
});

describe('connecting', () => {
  it('OPEN connects, records the time and clears the last error', () => {
    h = startAccount();
    h.advance(500);
    h.send({ type: 'OPEN', identity: IDENTITY });
    expect(h.value()).toBe('connected');
    expect(h.ctx()).toMatchObject({ connectedSince: T0 + 500, identity: IDENTITY, error: null });
  });

  it('CLOSE 515 reopens at once and is not counted', () => {
    h = startAccount();
    h.send({ type: 'CLOSE', code: 515, reason: 'restart required' });
    expect(h.value()).toBe('connecting');
    expect(h.opens).toEqual(['resume', 'resume']);
    expect(h.ctx().attempt).toBe(0);
    expect(h.clock.pending.size).toBe(0);
  });

  it('CLOSE 500 backs off as attempt 1', () => {
    h = startAccount({ draws: [0] });
    h.send({ type: 'CLOSE', code: 500, reason: 'internal' });
    expect(h.value()).toBe('backing-off');
    expect(h.ctx()).toMatchObject({ attempt: 1, retryDelayMs: 2000, nextRetryAt: T0 + 2000 });
  });

  it('a local failure to open goes degraded with the real error and is not retried', () => {
    h = startAccount();
    h.send({ type: 'CLOSE', code: null, reason: CREDS_ERROR.message, error: CREDS_ERROR });
    h.advance(10 * 60_000);
    expect(h.value()).toBe('degraded');
    expect(h.ctx().error).toEqual(CREDS_ERROR);
    expect(h.opens).toEqual(['resume']);
    expect(h.clock.pending.size).toBe(0);
  });

  it('CLOSE 401 goes to logged-out, says to log in again and schedules nothing', () => {
    h = startAccount();
    h.send({ type: 'CLOSE', code: 401, reason: 'device removed' });
    expect(h.value()).toBe('logged-out');
    expect(h.ctx().error?.message).toContain('wagate channels login');
    expect(h.clock.pending.size).toBe(0);
  });

  it('CLOSE 440 goes to degraded and is never retried', () => {
    h = startAccount();
    h.send({ type: 'CLOSE', code: 440, reason: 'conflict' });
    h.advance(10 * 60_000);
    expect(h.value()).toBe('degraded');
    expect(h.opens).toEqual(['resume']);
  });

  it('CLOSE 405 goes to degraded as outdated', () => {
    h = startAccount();
    h.send({ type: 'CLOSE', code: 405, reason: 'outdated' });
    expect(h.value()).toBe('degraded');
    expect(h.ctx().error?.code).toBe('WAGATE_ERR_OUTDATED');
  });

  it('CLOSE after maxAttempts failures in a row gives up', () => {
    h = startAccount({ reconnect: { maxAttempts: 1 } });
    h.send({ type: 'CLOSE', code: 503, reason: 'unavailable' });
    h.advance(h.ctx().retryDelayMs ?? 0);
    expect(h.value()).toBe('connecting');
    h.send({ type: 'CLOSE', code: 503, reason: 'unavailable' });
    expect(h.value()).toBe('degraded');
    expect(h.ctx().error?.code).toBe('WAGATE_ERR_GAVE_UP');
    expect(h.ctx().lastClose?.code).toBe(503);
  });
});
