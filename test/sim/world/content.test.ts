import { randomBytes } from 'node:crypto';
import { downloadMediaMessage } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { useWorld } from './fixture.js';

describe('other contact content, and sending to a number nobody set up', () => {
  const f = useWorld();

  it('video, sticker, contact card and location arrive intact', async () => {
    const client = await f.linked();
    const alice = f.sim.contact('+15551112222', { name: 'Alice' });
    const video = randomBytes(4096);
    const sticker = randomBytes(2048);
    const ids = [
      await alice.sendVideo(video, { caption: 'clip', seconds: 3 }),
      await alice.sendSticker(sticker),
      await alice.sendContact('Carol', '+15557778888'),
      await alice.sendLocation({ latitude: 52.52, longitude: 13.405, name: 'Berlin' }),
    ];
    const byId = async (id: string) =>
      (await client.upserts.next((u) => u.messages.some((m) => m.key.id === id), 5000, id)).messages.find((m) => m.key.id === id)!;
    const [v, s, c, l] = [await byId(ids[0]!), await byId(ids[1]!), await byId(ids[2]!), await byId(ids[3]!)];
    expect(v.message?.videoMessage?.caption).toBe('clip');
    expect(Buffer.compare(await downloadMediaMessage(v, 'buffer', {}), video)).toBe(0);
    expect(Buffer.compare(await downloadMediaMessage(s, 'buffer', {}), sticker)).toBe(0);
    expect(c.message?.contactMessage?.displayName).toBe('Carol');
    expect(c.message?.contactMessage?.vcard).toContain('waid=15557778888');
    expect(l.message?.locationMessage?.degreesLatitude).toBeCloseTo(52.52);
    expect(l.message?.locationMessage?.name).toBe('Berlin');
  });

  it('the account can send to any number: the simulator makes a contact for it', async () => {
    const client = await f.linked();
    const sent = await client.sock!.sendMessage('15559990000@s.whatsapp.net', { text: 'cold message' });
    const stranger = f.sim.contact('+15559990000');
    const got = await stranger.nextMessage();
    expect(got.id).toBe(sent!.key.id);
    expect(got.message.conversation ?? got.message.extendedTextMessage?.text).toBe('cold message');
  });
});
