/** Per chat in the socket's order, whatever order Baileys upserts in (src/whatsapp/stanza-order.ts). */
import { describe, expect, it } from 'vitest';
import { StanzaOrder } from '../../src/whatsapp/stanza-order.js';

interface Msg {
  id: string;
}

function setup() {
  const delivered: string[] = [];
  const gaveUp: string[][] = [];
  const timers: Array<{ fn: () => void; cleared: boolean }> = [];
  const order = new StanzaOrder<Msg>({
    deliver: (out) => void delivered.push(...out.map((m) => m.id)),
    idOf: (m) => m.id,
    holdMaxMs: 1000,
    setTimer: (fn) => {
      const t = { fn, cleared: false };
      timers.push(t);
      return { clear: () => void (t.cleared = true) };
    },
    onGiveUp: (info) => void gaveUp.push(info.ids),
  });
  /** Fires the pending timer (the clock reached holdMaxMs). */
  const tick = () => {
    const t = timers.find((x) => !x.cleared);
    if (!t) throw new Error('no timer armed');
    t.cleared = true;
    t.fn();
  };
  const up = (...ids: string[]) => order.upserted(ids, ids.map((id) => ({ id })));
  return { order, delivered, gaveUp, tick, up, armed: () => timers.some((x) => !x.cleared) };
}

describe('StanzaOrder', () => {
  it('a session-opening burst upserted as 1, 4–5, 2–3 comes out 1–5; other chats are not held', () => {
    const { order, delivered, up } = setup();
    for (const id of ['1', '2', '3', '4', '5']) order.seen(id, 'ann@s.whatsapp.net');
    order.seen('b1', 'bob@s.whatsapp.net');
    up('1');
    up('4', '5');
    expect(delivered).toEqual(['1']);
    up('b1');
    expect(delivered).toEqual(['1', 'b1']);
    up('2');
    expect(delivered).toEqual(['1', 'b1', '2']);
    up('3');
    expect(delivered).toEqual(['1', 'b1', '2', '3', '4', '5']);
    expect(order.waiting).toBe(0);
  });

  it('a stanza that never comes out holds its chat for at most two timer rounds, then is given up', () => {
    const { order, delivered, gaveUp, tick, up, armed } = setup();
    order.seen('1', 'ann');
    order.seen('2', 'ann');
    up('2');
    expect(delivered).toEqual([]);
    tick(); // seen in this round: not given up yet
    expect(delivered).toEqual([]);
    tick();
    expect(delivered).toEqual(['2']);
    expect(gaveUp).toEqual([['1']]);
    expect(order.waiting).toBe(0);
    expect(armed()).toBe(false);
    // Its late upsert still comes out (nothing is lost), now unordered.
    up('1');
    expect(delivered).toEqual(['2', '1']);
  });

  it('messages whose stanza was never seen pass straight through; a stanza that normalized into nothing releases its chat; a close releases all', () => {
    const { order, delivered, up } = setup();
    up('recovered');
    expect(delivered).toEqual(['recovered']);
    order.seen('p', 'ann'); // a protocol message: upserted, nothing to hand over
    order.seen('3', 'ann');
    order.seen('4', 'ann');
    up('3');
    order.upserted(['p'], []);
    expect(delivered).toEqual(['recovered', '3']);
    order.seen('5', 'ann');
    up('5');
    order.releaseAll();
    expect(delivered).toEqual(['recovered', '3', '5']);
    up('4');
    expect(delivered).toEqual(['recovered', '3', '5', '4']);
  });
});
