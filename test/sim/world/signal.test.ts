import { encodeWAMessage, proto, unpadRandomMax16 } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { SignalParty } from '../../../src/sim/world/signal.js';
import { baileysCrypto } from './helpers/baileys-crypto.js';

const ME = '15550000001:1@s.whatsapp.net';
const ME_LID = '100000000000001:1@lid';
const CONTACT = '15551112222@s.whatsapp.net';
const GROUP = '120363000000000001@g.us';

const text = (t: string) => encodeWAMessage({ conversation: t });
const decodeText = (b: Uint8Array) => proto.Message.decode(unpadRandomMax16(b)).conversation;

describe('SignalParty against the real Baileys repository', () => {
  it('encrypts pkmsg first, then msg, and Baileys decrypts both', async () => {
    const me = await baileysCrypto(ME, ME_LID);
    const contact = new SignalParty();
    const first = await contact.encrypt(ME, text('hello'), me.uploaded);
    expect(first.type).toBe('pkmsg');
    expect(me.uploaded.preKeys.size).toBe(4);
    const second = await contact.encrypt(ME, text('again'), me.uploaded);
    expect(second.type).toBe('pkmsg'); // unacknowledged session: still pkmsg until a reply
    expect(decodeText(await me.repo.decryptMessage({ jid: CONTACT, type: 'pkmsg', ciphertext: first.ciphertext }))).toBe('hello');
    expect(decodeText(await me.repo.decryptMessage({ jid: CONTACT, type: 'pkmsg', ciphertext: second.ciphertext }))).toBe('again');
    // once the companion answers, the contact's next message is a plain msg
    const reply = await me.repo.encryptMessage({ jid: CONTACT, data: text('hi back') });
    expect(reply.type).toBe('msg');
    expect(decodeText(await contact.decrypt(ME, reply.type, reply.ciphertext))).toBe('hi back');
    const third = await contact.encrypt(ME, text('third'));
    expect(third.type).toBe('msg');
    expect(decodeText(await me.repo.decryptMessage({ jid: CONTACT, type: 'msg', ciphertext: third.ciphertext }))).toBe('third');
  });

  it('gives a bundle Baileys builds an outgoing session from, and decrypts its pkmsg', async () => {
    const me = await baileysCrypto(ME, ME_LID);
    const contact = new SignalParty();
    const b = contact.bundle();
    await me.repo.injectE2ESession({
      jid: CONTACT,
      session: {
        registrationId: b.registrationId,
        identityKey: Buffer.concat([Buffer.from([5]), b.identityKey]),
        signedPreKey: {
          keyId: b.signedPreKey.id,
          publicKey: Buffer.concat([Buffer.from([5]), b.signedPreKey.publicKey]),
          signature: b.signedPreKey.signature,
        },
        preKey: { keyId: b.preKey.id, publicKey: Buffer.concat([Buffer.from([5]), b.preKey.publicKey]) },
      },
    });
    const out = await me.repo.encryptMessage({ jid: CONTACT, data: text('to contact') });
    expect(out.type).toBe('pkmsg');
    expect(decodeText(await contact.decrypt(ME, 'pkmsg', out.ciphertext))).toBe('to contact');
    await expect(contact.decrypt(ME, 'pkmsg', out.ciphertext)).rejects.toThrow();
  });

  it('sender keys work both ways with Baileys group cipher', async () => {
    const me = await baileysCrypto(ME, ME_LID);
    const member = new SignalParty();
    const { ciphertext, skdm } = await member.groupEncrypt(GROUP, CONTACT, text('group hello'));
    await me.repo.processSenderKeyDistributionMessage({
      authorJid: CONTACT,
      item: { groupId: GROUP, axolotlSenderKeyDistributionMessage: skdm },
    });
    expect(decodeText(await me.repo.decryptGroupMessage({ group: GROUP, authorJid: CONTACT, msg: ciphertext }))).toBe('group hello');

    const sent = await me.repo.encryptGroupMessage({ group: GROUP, meId: ME, data: text('from me') });
    await member.processSenderKey(GROUP, ME, sent.senderKeyDistributionMessage);
    expect(decodeText(await member.groupDecrypt(GROUP, ME, sent.ciphertext))).toBe('from me');
    await expect(member.groupDecrypt(GROUP, '15559999999@s.whatsapp.net', sent.ciphertext)).rejects.toThrow();
  });
});
