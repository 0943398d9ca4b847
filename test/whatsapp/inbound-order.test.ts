import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../src/ports/inbound.js';
import { InboundOrder } from '../../src/whatsapp/inbound-order.js';

function msg(id: string, chatId: string, timestamp: number, upsertType: 'notify' | 'append'): InboundMessage {
  return { id, chatId, timestamp, upsertType } as InboundMessage;
}

function harness(holdMaxMs = 10_000) {
  const delivered: string[] = [];
  const timers: { fn: () => void; ms: number; cleared: boolean }[] = [];
  const expired: unknown[] = [];
  const held: string[] = [];
  const order = new InboundOrder({
    onHold: (ms) => void held.push(...ms.map((m) => m.id)),
    deliver: (ms) => delivered.push(...ms.map((m) => m.id)),
    holdMaxMs,
    setTimer: (fn, ms) => {
      const t = { fn, ms, cleared: false };
      timers.push(t);
      return { clear: () => void (t.cleared = true) };
    },
    onHoldExpired: (info) => void expired.push(info),
  });
  const fire = () => timers.filter((t) => !t.cleared).forEach((t) => ((t.cleared = true), t.fn()));
  return { order, delivered, timers, expired, fire, held };
}

describe('InboundOrder: live messages wait for the offline backlog', () => {
  it('holds a live message until the marker came and every offline stanza was upserted, then releases in timestamp order', () => {
    const { order, delivered } = harness();
    for (const id of ['o30', 'o31', 'o32']) order.offlineStanza(id);
    order.upserted(['o30']);
    order.offer([msg('o30', 'ann', 30, 'append')]);
    order.settle();
    order.upserted(['l36']);
    order.offer([msg('l36', 'ann', 36, 'notify')]);
    order.settle();
    expect(delivered).toEqual(['o30']);
    order.marker();
    order.settle();
    expect(delivered).toEqual(['o30']); // o31, o32 still pending
    order.upserted(['o31', 'o32']);
    order.offer([msg('o31', 'ann', 31, 'append'), msg('o32', 'ann', 32, 'append')]);
    order.settle();
    expect(delivered).toEqual(['o30', 'o31', 'o32', 'l36']);
    expect(order.live).toBe(true);
    order.offer([msg('l37', 'ann', 37, 'notify')]);
    expect(delivered.at(-1)).toBe('l37');
  });

  it('tells of each live message as it is held (to be recorded at once), never of an offline one or one passing straight through', () => {
    const { order, held, delivered } = harness();
    order.offlineStanza('o1');
    order.offer([msg('l2', 'ann', 2, 'notify'), msg('l3', 'bo', 3, 'notify')]);
    expect(held).toEqual(['l2', 'l3']);
    order.upserted(['o1']);
    order.offer([msg('o1', 'ann', 1, 'append')]);
    order.marker();
    order.settle();
    expect(delivered).toEqual(['o1', 'l2', 'l3']);
    order.offer([msg('l4', 'ann', 4, 'notify')]);
    expect(held).toEqual(['l2', 'l3']);
    expect(delivered.at(-1)).toBe('l4');
  });

  it('an empty backlog: the marker alone ends the hold', () => {
    const { order, delivered } = harness();
    order.offer([msg('l1', 'bo', 1, 'notify')]);
    order.settle();
    expect(delivered).toEqual([]);
    order.marker();
    order.settle();
    expect(delivered).toEqual(['l1']);
  });

  it('an offline stanza Baileys never upserts holds live messages only until the time limit', () => {
    const { order, delivered, timers, expired, fire } = harness(5000);
    order.offlineStanza('lost');
    order.marker();
    order.offer([msg('l1', 'cy', 1, 'notify'), msg('l2', 'cy', 2, 'notify')]);
    order.settle();
    expect(delivered).toEqual([]);
    expect(timers.map((t) => t.ms)).toEqual([5000]);
    fire();
    expect(delivered).toEqual(['l1', 'l2']);
    expect(expired).toEqual([{ held: 2, pendingOffline: 1, markerSeen: true }]);
  });

  it('a closing connection releases what it held at once, in order', () => {
    const { order, delivered, timers } = harness();
    order.offer([msg('b', 'dee', 5, 'notify'), msg('a', 'dee', 4, 'notify')]);
    order.releaseAll();
    expect(delivered).toEqual(['a', 'b']);
    expect(timers.every((t) => t.cleared)).toBe(true);
  });

  it('property: whatever the interleaving, each chat comes out in timestamp order, every message exactly once', () => {
    // A chat's messages 0..n-1 (timestamp = index); the first k were queued offline, the rest are live.
    const chat = fc.record({ n: fc.integer({ min: 1, max: 8 }), k: fc.integer({ min: 0, max: 8 }) });
    fc.assert(
      fc.property(fc.array(chat, { minLength: 1, maxLength: 4 }), fc.infiniteStream(fc.nat()), (chats, picks) => {
        const { order, delivered } = harness();
        const offline: InboundMessage[] = [];
        const live: InboundMessage[] = [];
        chats.forEach(({ n, k }, c) => {
          for (let i = 0; i < n; i++) (i < Math.min(k, n) ? offline : live).push(msg(`${c}:${i}`, `c${c}`, i, i < k ? 'append' : 'notify'));
        });
        for (const m of offline) order.offlineStanza(m.id);
        // Offline ones come in queue order, live ones in theirs, the two streams interleaved at random; the marker somewhere after the last offline stanza was sent.
        const it = picks[Symbol.iterator]();
        let o = 0;
        let l = 0;
        let markerSent = false;
        while (o < offline.length || l < live.length || !markerSent) {
          const choice = it.next().value! % 3;
          if (choice === 0 && o < offline.length) {
            const m = offline[o++]!;
            order.upserted([m.id]);
            order.offer([m]);
          } else if (choice === 1 && l < live.length) {
            const m = live[l++]!;
            order.upserted([m.id]);
            order.offer([m]);
          } else if (!markerSent) {
            markerSent = true;
            order.marker();
          } else continue;
          order.settle();
        }
        expect(new Set(delivered).size).toBe(delivered.length);
        expect(delivered.length).toBe(offline.length + live.length);
        chats.forEach((_, c) => {
          const mine = delivered.filter((id) => id.startsWith(`${c}:`)).map((id) => Number(id.split(':')[1]));
          expect(mine).toEqual([...mine].sort((a, b) => a - b));
        });
      }),
    );
  });
});
