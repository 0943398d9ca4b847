import { afterEach, describe, expect, it } from 'vitest';
import type { BusEvents } from '../../src/bus/events.js';
import { e2e, until, type E2E } from './harness.js';

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const PHONES = { a: '+15550002001', b: '+15550002002', c: '+15550002003' } as const;

describe('three accounts in one gateway (real Baileys ↔ simulator)', () => {
  it('one account kicked with 401 goes logged-out; the other two keep sending and receiving', async () => {
    // DMs disabled: this test is about the connections, not the conversation loop.
    h = await e2e({ channels: { whatsapp: { dmPolicy: 'disabled', accounts: { a: {}, b: {}, c: {} } } } });
    const gw = await h.startGateway();
    for (const [id, phone] of Object.entries(PHONES)) expect((await h.link(id, phone)).code).toBe(0);
    for (const id of Object.keys(PHONES)) await until(() => gw.accounts.get(id)!.state === 'connected', `${id} connected`);

    const received: BusEvents['message.received'][] = [];
    gw.bus.on('message.received', (e) => void received.push(e));

    h.sim.kick(PHONES.b, 401);
    await until(() => gw.accounts.get('b')!.state === 'logged-out', 'b logged out');

    for (const id of ['a', 'c'] as const) {
      const friend = `+1555900${id === 'a' ? '1' : '3'}000`;
      const contact = h.sim.contact(friend, { name: `Friend of ${id}`, to: PHONES[id] });
      // receiving
      const sentId = await contact.send(`hello ${id}`);
      const got = await until(() => received.find((r) => r.accountId === id && r.message.id === sentId), `${id} receives`);
      expect(got!.message).toMatchObject({ chatType: 'direct', text: `hello ${id}`, chatId: friend, from: { e164: friend, name: `Friend of ${id}` }, fromMe: false });
      // sending
      await gw.accounts.get(id)!.activeConnection().sendText(friend, `reply from ${id}`);
      const out = await contact.nextMessage(10_000);
      expect(out.message.conversation ?? out.message.extendedTextMessage?.text).toBe(`reply from ${id}`);
      expect(gw.accounts.get(id)!.state).toBe('connected');
    }
    expect(gw.accounts.get('b')!.state).toBe('logged-out');
    expect(() => gw.accounts.get('b')!.activeConnection()).toThrow(/No active WhatsApp listener for account b/);
  });
});
