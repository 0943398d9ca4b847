import type { BinaryNode } from '@whiskeysockets/baileys';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Hub, type CompanionRecord, type LiveLink } from '../../../src/sim/server/hub-impl.js';

function companion(user = '15550000001'): CompanionRecord {
  return {
    user,
    device: 1,
    jid: `${user}:1@s.whatsapp.net`,
    lidUser: '100000000000001',
    lid: '100000000000001:1@lid',
    online: false,
    iqs: {},
    noiseKey: Buffer.alloc(32),
    identityKey: Buffer.alloc(32),
    firstLoginPending: true,
  };
}

const note = (id: string): BinaryNode => ({ tag: 'notification', attrs: { id } });

function link(): LiveLink & { sent: BinaryNode[] } {
  const sent: BinaryNode[] = [];
  return { sent, send: (n) => sent.push(n) };
}

describe('SimHub implementation', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('queues while offline and hands the queue back in order, marked offline="1"', () => {
    const hub = new Hub(() => {});
    hub.addCompanion(companion());
    expect(hub.deliver('15550000001', note('a'))).toBe(false);
    expect(hub.deliver('15550000001', note('b'))).toBe(false);
    const l = link();
    const queued = hub.setOnline('15550000001', l);
    expect(queued.map((n) => [n.attrs.id, n.attrs.offline])).toEqual([
      ['a', '1'],
      ['b', '1'],
    ]);
    expect(hub.deliver('15550000001', note('c'))).toBe(true);
    expect(l.sent.map((n) => n.attrs)).toEqual([{ id: 'c' }]);
    expect(hub.setOnline('15550000001', l)).toEqual([]);
  });

  it('ignores going offline for a link that was already replaced', () => {
    const hub = new Hub(() => {});
    hub.addCompanion(companion());
    const old = link();
    const current = link();
    hub.setOnline('15550000001', old);
    hub.setOnline('15550000001', current);
    hub.setOffline('15550000001', old);
    expect(hub.deliver('15550000001', note('x'))).toBe(true);
    expect(current.sent).toHaveLength(1);
  });

  it('a login that replaces a live session gets what that session never acknowledged (its own setOffline comes too late)', () => {
    const hub = new Hub(() => {});
    hub.addCompanion(companion());
    const old = link();
    hub.setOnline('15550000001', old);
    const msg = (id: string): BinaryNode => ({ tag: 'message', attrs: { id } });
    expect(hub.deliver('15550000001', msg('m1'))).toBe(true);
    expect(hub.deliver('15550000001', msg('m2'))).toBe(true);
    hub.acked('15550000001', ['m1']); // m2 reached a socket that never answered (a frozen node)
    const replacing = link();
    const queued = hub.setOnline('15550000001', replacing);
    expect(queued.map((n) => [n.attrs.id, n.attrs.offline])).toEqual([['m2', '1']]);
    hub.setOffline('15550000001', old); // the replaced session ends: nothing delivered twice
    expect(hub.setOnline('15550000001', replacing)).toEqual([]);
  });

  it('offers a stanza to handlers in order until one takes it; a throwing handler is reported and skipped', async () => {
    const errors: string[] = [];
    const hub = new Hub((_err, where) => errors.push(where));
    const seen: string[] = [];
    hub.onStanza('message', () => {
      seen.push('first');
      throw new Error('boom');
    });
    hub.onStanza('message', async () => {
      seen.push('second');
      return true;
    });
    hub.onStanza('message', () => {
      seen.push('third');
      return true;
    });
    const ctx = { companion: companion(), send: () => {} };
    expect(await hub.dispatch({ tag: 'message', attrs: {} }, ctx)).toBe(true);
    expect(await hub.dispatch({ tag: 'receipt', attrs: {} }, ctx)).toBe(false);
    expect(seen).toEqual(['first', 'second']);
    expect(errors).toEqual(['stanza handler for <message>']);
  });

  it('waitOnline resolves when the companion logs in and rejects after its timeout', async () => {
    vi.useFakeTimers();
    const hub = new Hub(() => {});
    hub.addCompanion(companion());
    const online = hub.waitOnline('15550000001', 1000);
    hub.setOnline('15550000001', link());
    await expect(online).resolves.toMatchObject({ online: true });
    const never = hub.waitOnline('15559999999', 1000);
    const check = expect(never).rejects.toThrow(/did not come online within 1000 ms/);
    await vi.advanceTimersByTimeAsync(1000);
    await check;
    expect(vi.getTimerCount()).toBe(0);
  });

  it('hands out distinct stanza ids', () => {
    const hub = new Hub(() => {});
    const ids = new Set(Array.from({ length: 100 }, () => hub.nextId()));
    expect(ids.size).toBe(100);
  });
});
