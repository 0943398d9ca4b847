/**
 * A cluster node's transport sends nothing for an account whose lease it no longer
 * holds (a paused node that woke up), and passes everything through while it does.
 */
import { describe, expect, it } from 'vitest';
import { fencedTransport } from '../../src/cluster/fenced-transport.js';
import { isWagateError } from '../../src/errors.js';
import { FakeAccountTransport, type FakeConnection } from '../helpers/fake-transport.js';

describe('fencedTransport', () => {
  it('sends while the lease is held and refuses with WAGATE_ERR_LEASE_LOST, sending nothing, once it is not', async () => {
    const inner = new FakeAccountTransport('a1', true);
    let held = true;
    const t = fencedTransport(inner, () => held);
    expect(t.accountId).toBe('a1');
    expect(await t.hasCreds()).toBe(true);
    const conn = t.connect('resume', () => undefined);
    const fake = inner.current as FakeConnection;
    await conn.sendText('+15550000002', 'one');
    expect(fake.sent.map((s) => s.text)).toEqual(['one']);

    held = false;
    const err = await conn.sendText('+15550000002', 'two').catch((e: unknown) => e);
    expect(isWagateError(err) && err.code).toBe('WAGATE_ERR_LEASE_LOST');
    expect(fake.sent.map((s) => s.text)).toEqual(['one']);
    const typing = await conn.sendPresence('15550000002@s.whatsapp.net', 'composing').catch((e: unknown) => e);
    expect(isWagateError(typing) && typing.code).toBe('WAGATE_ERR_LEASE_LOST');
    // Closing is never refused.
    await conn.close();
  });

  it('opens no connection without the lease: the attempt closes at once with WAGATE_ERR_LEASE_LOST (a woken node does not log in again)', async () => {
    const inner = new FakeAccountTransport('a1', true);
    const t = fencedTransport(inner, () => false);
    const events: unknown[] = [];
    const conn = t.connect('resume', (ev) => events.push(ev));
    expect(inner.connections).toHaveLength(0); // the real transport was never asked
    await Promise.resolve();
    expect(events).toEqual([{ type: 'close', code: null, reason: expect.stringContaining('a1'), error: { code: 'WAGATE_ERR_LEASE_LOST', message: expect.any(String) } }]);
    const err = await conn.sendText('+15550000002', 'x').catch((e: unknown) => e);
    expect(isWagateError(err) && err.code).toBe('WAGATE_ERR_LEASE_LOST');
    await conn.close();
  });

  it('hands the lease check to the connection itself (mayWrite), so frames the connection writes on its own are fenced too', () => {
    const inner = new FakeAccountTransport('a1', true);
    let held = true;
    const t = fencedTransport(inner, () => held);
    t.connect('resume', () => undefined);
    const mayWrite = inner.connectOptions[0]?.mayWrite;
    expect(mayWrite?.()).toBe(true);
    held = false;
    expect(mayWrite?.()).toBe(false);
  });
});
