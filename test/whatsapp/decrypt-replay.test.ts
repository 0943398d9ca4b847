/**
 * A message whose handling a drop cut short after its decryption (Baileys decrypts,
 * then the receipt throws "Connection Closed", and the message is never upserted) comes
 * again from WhatsApp; its second decryption fails ("Key used already or never
 * filled") — the kept plaintext stands in for it, until the message was upserted.
 */
import { describe, expect, it } from 'vitest';
import { memoryKeys } from '../helpers/memory-keys.js';
import type { SignalAuthState, SignalDataSet, SignalRepositoryWithLIDStore } from '@whiskeysockets/baileys';
import { DecryptReplay, DECRYPTED_CATEGORY } from '../../src/whatsapp/decrypt-replay.js';

/** A Signal repository whose keys can be used once, like a ratchet's. */
function onceRepository(): SignalRepositoryWithLIDStore {
  const used = new Set<string>();
  const once = async (c: Uint8Array) => {
    const k = Buffer.from(c).toString('hex');
    if (used.has(k)) throw new Error('Key used already or never filled');
    used.add(k);
    return Buffer.from(`plain:${Buffer.from(c).toString('utf8')}`);
  };
  return {
    decryptMessage: ({ ciphertext }: { ciphertext: Uint8Array }) => once(ciphertext),
    decryptGroupMessage: ({ msg }: { msg: Uint8Array }) => once(msg),
  } as unknown as SignalRepositoryWithLIDStore;
}

const logger = { info: () => undefined } as never;
const stanza = (id: string, enc: Uint8Array) => ({ tag: 'message', attrs: { id }, content: [{ tag: 'enc', attrs: { type: 'msg' }, content: enc }] });

describe('decrypt replay', () => {
  it('a re-delivered ciphertext decrypts to the kept plaintext until its message was upserted', async () => {
    const keys = memoryKeys();
    const replay = new DecryptReplay(() => keys as never);
    const repo = replay.wrap(() => onceRepository())({ creds: {}, keys } as unknown as SignalAuthState, logger);
    const c = Buffer.from('hello');
    replay.seen(stanza('M1', c));
    expect(Buffer.from(await repo.decryptMessage({ jid: 'a@s.whatsapp.net', type: 'msg', ciphertext: c })).toString()).toBe('plain:hello');
    // the drop: no upsert; WhatsApp delivers the same stanza again
    replay.seen(stanza('M1', c));
    expect(Buffer.from(await repo.decryptMessage({ jid: 'a@s.whatsapp.net', type: 'msg', ciphertext: c })).toString()).toBe('plain:hello');
    expect(replay.replayed).toBe(1);
    // upserted now: the plaintext is forgotten, and a further copy fails like Baileys expects of a duplicate
    await replay.forget(['M1']);
    expect([...keys.data.keys()].filter((k) => k.startsWith(DECRYPTED_CATEGORY))).toEqual([]);
    await expect(repo.decryptMessage({ jid: 'a@s.whatsapp.net', type: 'msg', ciphertext: c })).rejects.toThrow('Key used already');
  });

  it('a ciphertext never decrypted still fails with its own error; group messages are kept too', async () => {
    const keys = memoryKeys();
    const replay = new DecryptReplay(() => keys as never);
    const failing = {
      decryptMessage: async () => {
        throw new Error('Bad MAC');
      },
      decryptGroupMessage: onceRepository().decryptGroupMessage,
    } as unknown as SignalRepositoryWithLIDStore;
    const repo = replay.wrap(() => failing)({ creds: {}, keys } as unknown as SignalAuthState, logger);
    await expect(repo.decryptMessage({ jid: 'a@s.whatsapp.net', type: 'msg', ciphertext: Buffer.from('x') })).rejects.toThrow('Bad MAC');
    const g = Buffer.from('group');
    const args = { group: 'g@g.us', authorJid: 'a@s.whatsapp.net', msg: g };
    expect(Buffer.from(await repo.decryptGroupMessage(args)).toString()).toBe('plain:group');
    expect(Buffer.from(await repo.decryptGroupMessage(args)).toString()).toBe('plain:group');
  });
});
