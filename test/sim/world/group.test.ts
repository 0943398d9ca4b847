import { describe, expect, it } from 'vitest';
import { ACCOUNT_JID, textOf, useWorld } from './fixture.js';

describe('groups through sender keys', () => {
  const f = useWorld();

  it('a member message with a mention arrives (skmsg after the sender key), metadata answers', async () => {
    const client = await f.linked();
    const alice = f.sim.contact('+15551112222', { name: 'Alice' });
    const bob = f.sim.contact('+15553334444', { name: 'Bob' });
    const g = f.sim.group({ subject: 'Team', participants: [alice, bob] });

    const meta = await client.sock!.groupMetadata(g.jid);
    expect(meta.subject).toBe('Team');
    expect(meta.participants.map((p) => p.id).sort()).toEqual([ACCOUNT_JID, alice.jid, bob.jid].sort());

    const id = await g.send(alice, 'hi @15550000001', { mentions: [ACCOUNT_JID] });
    const up = await client.upserts.next((u) => u.messages.some((m) => m.key.id === id), 5000, 'group message');
    const m = up.messages.find((x) => x.key.id === id)!;
    expect(m.key.remoteJid).toBe(g.jid);
    expect(m.key.participant).toBe(alice.jid);
    expect(textOf(m)).toBe('hi @15550000001');
    expect(m.message?.extendedTextMessage?.contextInfo?.mentionedJid).toEqual([ACCOUNT_JID]);
    const stanza = client.frames.items.find((n) => n.tag === 'message' && n.attrs.id === id);
    expect(Array.isArray(stanza?.content) ? stanza.content.map((c) => c.attrs.type) : []).toEqual(['pkmsg', 'skmsg']);

    const id2 = await g.send(alice, 'second, sender key already known');
    const up2 = await client.upserts.next((u) => u.messages.some((x) => x.key.id === id2), 5000, 'second group message');
    expect(textOf(up2.messages.find((x) => x.key.id === id2)!)).toBe('second, sender key already known');
  });

  it('the account’s group message with a mention is decrypted by every member', async () => {
    const client = await f.linked();
    const alice = f.sim.contact('+15551112222', { name: 'Alice' });
    const bob = f.sim.contact('+15553334444', { name: 'Bob' });
    const g = f.sim.group({ subject: 'Team', participants: [alice, bob] });
    const sent = await client.sock!.sendMessage(g.jid, { text: 'hello @15553334444', mentions: [bob.jid] });
    const got = await g.nextMessage();
    expect(got.id).toBe(sent!.key.id);
    expect(got.message.extendedTextMessage?.text).toBe('hello @15553334444');
    expect(got.message.extendedTextMessage?.contextInfo?.mentionedJid).toEqual([bob.jid]);
    for (const member of [alice, bob]) {
      const m = await member.nextMessage();
      expect(m.chat).toBe(g.jid);
      expect(m.id).toBe(sent!.key.id);
    }
    // a second send reuses the sender key: skmsg only
    const again = await client.sock!.sendMessage(g.jid, { text: 'again' });
    expect((await bob.nextMessage()).id).toBe(again!.key.id);
  });
});
