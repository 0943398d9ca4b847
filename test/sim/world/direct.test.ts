import { describe, expect, it } from 'vitest';
import { ACCOUNT_JID, textOf, useWorld } from './fixture.js';

describe('1:1 messages between a contact and the linked account', () => {
  const f = useWorld();

  it('inbound text arrives via messages.upsert, pkmsg first then msg', async () => {
    const client = await f.linked();
    const alice = f.sim.contact('+15551112222', { name: 'Alice' });
    const id1 = await alice.send('hello');
    const up1 = await client.upserts.next((u) => u.messages.some((m) => m.key.id === id1), 5000, 'first message');
    const m1 = up1.messages.find((m) => m.key.id === id1)!;
    expect(up1.type).toBe('notify');
    expect(textOf(m1)).toBe('hello');
    expect(m1.key.remoteJid).toBe('15551112222@s.whatsapp.net');
    expect(m1.pushName).toBe('Alice');
    const encTypes = client.frames.items
      .filter((n) => n.tag === 'message' && n.attrs.id === id1)
      .map((n) => (Array.isArray(n.content) ? n.content[0]?.attrs.type : undefined));
    expect(encTypes).toEqual(['pkmsg']);
    // once the account has answered, the contact's session is confirmed: msg from then on
    await client.sock!.sendMessage(alice.jid, { text: 'hi Alice' });
    await alice.nextMessage();
    const id2 = await alice.send('second');
    const up2 = await client.upserts.next((u) => u.messages.some((m) => m.key.id === id2), 5000, 'second message');
    expect(textOf(up2.messages.find((m) => m.key.id === id2)!)).toBe('second');
    const enc2 = client.frames.items.find((n) => n.tag === 'message' && n.attrs.id === id2);
    expect(Array.isArray(enc2?.content) ? enc2.content[0]?.attrs.type : undefined).toBe('msg');
  });

  it('outbound text is decrypted by the contact', async () => {
    const client = await f.linked();
    const bob = f.sim.contact('+15553334444', { name: 'Bob' });
    const sent = await client.sock!.sendMessage(bob.jid, { text: 'hi Bob' });
    const got = await bob.nextMessage();
    expect(got.id).toBe(sent!.key.id);
    expect(got.message.conversation ?? got.message.extendedTextMessage?.text).toBe('hi Bob');
    expect(got.from).toMatch(/^15550000001:\d+@s\.whatsapp\.net$/);
    // the primary phone got its own copy (device fan-out)
    expect(f.sim.primaryPhone(ACCOUNT_JID).inbox.some((m) => m.id === sent!.key.id)).toBe(true);
  });
});
