import { randomBytes } from 'node:crypto';
import { downloadMediaMessage } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { useWorld } from './fixture.js';

type Kind = 'image' | 'audio' | 'document';
const KINDS: Kind[] = ['image', 'audio', 'document'];

describe('media through the simulator media host, byte equality both ways', () => {
  const f = useWorld();

  for (const kind of KINDS) {
    it(`${kind}: contact → account`, async () => {
      const client = await f.linked();
      const alice = f.sim.contact('+15551112222', { name: 'Alice' });
      const bytes = randomBytes(5321);
      const id =
        kind === 'image'
          ? await alice.sendImage(bytes, { caption: 'pic' })
          : kind === 'audio'
            ? await alice.sendAudio(bytes, { ptt: true })
            : await alice.sendDocument(bytes, { fileName: 'report.pdf', mimetype: 'application/pdf' });
      const up = await client.upserts.next((u) => u.messages.some((m) => m.key.id === id), 5000, `${kind} message`);
      const msg = up.messages.find((m) => m.key.id === id)!;
      expect(msg.message?.[`${kind}Message`]).toBeTruthy();
      const got = await downloadMediaMessage(msg, 'buffer', {});
      expect(Buffer.compare(got, bytes)).toBe(0);
    });

    it(`${kind}: account → contact`, async () => {
      const client = await f.linked();
      const bob = f.sim.contact('+15553334444', { name: 'Bob' });
      const bytes = randomBytes(6000);
      const content =
        kind === 'image'
          ? { image: bytes, caption: 'look' }
          : kind === 'audio'
            ? { audio: bytes, mimetype: 'audio/ogg; codecs=opus' }
            : { document: bytes, mimetype: 'application/pdf', fileName: 'a.pdf' };
      const sent = await client.sock!.sendMessage(bob.jid, content);
      const got = await bob.nextMessage();
      expect(got.id).toBe(sent!.key.id);
      expect(got.message[`${kind}Message`]).toBeTruthy();
      expect(Buffer.compare(await bob.download(got.message), bytes)).toBe(0);
    });
  }
});
