import { describe, expect, it } from 'vitest';
import { ACCOUNT, ACCOUNT_JID, textOf, useWorld } from './fixture.js';

describe('replies, reactions, receipts and presence', () => {
  const f = useWorld();

  it('a quoted reply from the contact carries the stanza id of the quoted message', async () => {
    const client = await f.linked();
    const alice = f.sim.contact('+15551112222', { name: 'Alice' });
    const sent = await client.sock!.sendMessage(alice.jid, { text: 'question?' });
    await alice.nextMessage();
    const replyId = await alice.reply(sent!.key.id!, 'answer!');
    const up = await client.upserts.next((u) => u.messages.some((m) => m.key.id === replyId), 5000, 'reply');
    const m = up.messages.find((x) => x.key.id === replyId)!;
    expect(textOf(m)).toBe('answer!');
    const ctx = m.message?.extendedTextMessage?.contextInfo;
    expect(ctx?.stanzaId).toBe(sent!.key.id);
    expect(ctx?.participant).toBe(ACCOUNT_JID);
    expect(ctx?.quotedMessage?.conversation ?? ctx?.quotedMessage?.extendedTextMessage?.text).toBe('question?');
  });

  it('a quoted reply from the account reaches the contact with the stanza id', async () => {
    const client = await f.linked();
    const alice = f.sim.contact('+15551112222', { name: 'Alice' });
    const id = await alice.send('ping');
    const up = await client.upserts.next((u) => u.messages.some((m) => m.key.id === id), 5000, 'ping');
    await client.sock!.sendMessage(alice.jid, { text: 'pong' }, { quoted: up.messages[0]! });
    const got = await alice.nextMessage();
    expect(got.message.extendedTextMessage?.text).toBe('pong');
    expect(got.message.extendedTextMessage?.contextInfo?.stanzaId).toBe(id);
  });

  it('reactions go both ways', async () => {
    const client = await f.linked();
    const alice = f.sim.contact('+15551112222', { name: 'Alice' });
    const sent = await client.sock!.sendMessage(alice.jid, { text: 'react to me' });
    await alice.nextMessage();
    const reactions: { id?: string | null; text?: string | null }[] = [];
    client.sock!.ev.on('messages.reaction', (rs) => rs.forEach((r) => reactions.push({ id: r.key.id, text: r.reaction.text })));
    const rid = await alice.react(sent!.key.id!, '👍');
    const up = await client.upserts.next((u) => u.messages.some((m) => m.key.id === rid), 5000, 'reaction');
    const m = up.messages.find((x) => x.key.id === rid)!;
    expect(m.message?.reactionMessage?.text).toBe('👍');
    expect(m.message?.reactionMessage?.key?.id).toBe(sent!.key.id);
    expect(reactions).toContainEqual({ id: sent!.key.id, text: '👍' });

    const own = await alice.send('nice');
    const ownUp = await client.upserts.next((u) => u.messages.some((x) => x.key.id === own), 5000, 'text');
    await client.sock!.sendMessage(alice.jid, { react: { text: '❤️', key: ownUp.messages[0]!.key } });
    await alice.nextMessage();
    expect(alice.reactions).toContainEqual(expect.objectContaining({ id: own, emoji: '❤️' }));
  });

  it('delivery and read receipts are seen by the contact', async () => {
    const client = await f.linked();
    const alice = f.sim.contact('+15551112222', { name: 'Alice' });
    const id = await alice.send('read me');
    const up = await client.upserts.next((u) => u.messages.some((m) => m.key.id === id), 5000, 'message');
    await client.sock!.readMessages([up.messages[0]!.key]);
    await expect.poll(() => alice.receipts.find((r) => r.type === 'read')?.ids, { timeout: 3000 }).toEqual([id]);
    expect(alice.receipts.some((r) => r.type === 'delivery' && r.ids.includes(id))).toBe(true);
  });

  it('typing (composing, paused) is seen by the contact', async () => {
    const client = await f.linked();
    const alice = f.sim.contact('+15551112222');
    await client.sock!.sendPresenceUpdate('composing', alice.jid);
    await client.sock!.sendPresenceUpdate('paused', alice.jid);
    await expect.poll(() => alice.presence.map((p) => p.state), { timeout: 3000 }).toEqual(['composing', 'paused']);
  });

  it('a contact message sent while the client is disconnected arrives after reconnect as append', async () => {
    const client = await f.linked(ACCOUNT);
    const alice = f.sim.contact('+15551112222', { name: 'Alice' });
    await client.end();
    expect(f.sim.hub.companions.get('15550000001')?.online).toBe(false);
    const id = await alice.send('while you were away');
    client.reopen();
    const up = await client.upserts.next((u) => u.messages.some((m) => m.key.id === id), 8000, 'queued message');
    expect(up.type).toBe('append');
    expect(textOf(up.messages.find((m) => m.key.id === id)!)).toBe('while you were away');
  });
});
