/**
 * Recovery at start (decrypt-recovery.ts) rebuilds kept plaintexts in the order their
 * stanzas came on the socket: Baileys decrypts different senders' stanzas at once, so
 * a later stanza may be decrypted first (a group's members: chaos of the group e2e).
 */
import { proto } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/port.js';
import type { KeptDecryption } from '../../src/whatsapp/decrypt-replay.js';
import { readKeptDecryptions } from '../../src/whatsapp/decrypt-recovery.js';

const ME = { id: '15550000001:1@s.whatsapp.net' };
const GROUP = '120363000000000001@g.us';

/** A kept value as decrypt-replay.ts writes it (an skmsg part: padded plaintext). */
function kept(id: string, participant: string, text: string, times: { t: number; at: number; sa?: number; sn?: number }): string {
  const plain = Buffer.concat([Buffer.from(proto.Message.encode({ conversation: text }).finish()), Buffer.from([1])]);
  const value: KeptDecryption = {
    p: plain.toString('base64'),
    s: { id, from: GROUP, participant, t: String(times.t), type: 'text' },
    i: 0,
    e: 'skmsg',
    at: times.at,
    ...(times.sa !== undefined ? { sa: times.sa, sn: times.sn } : {}),
  };
  return JSON.stringify(value);
}

const storeOf = (entries: Array<[string, string]>) => ({ keys: { list: async () => new Map(entries) } }) as unknown as Store;

describe('readKeptDecryptions', () => {
  it("orders messages of one second by their stanzas' arrival, not by when they were decrypted", async () => {
    const store = storeOf([
      // Carol's came second on the socket but was decrypted first (Dave's needed a new session).
      ['k-carol', kept('M2', '15557770002@s.whatsapp.net', 'second', { t: 100, at: 1_000, sa: 900, sn: 2 })],
      ['k-dave', kept('M1', '15557770001@s.whatsapp.net', 'first', { t: 100, at: 1_050, sa: 900, sn: 1 })],
      ['k-late', kept('M3', '15557770001@s.whatsapp.net', 'third', { t: 101, at: 990 })],
    ]);
    const { messages, unusable } = await readKeptDecryptions(store, 'default', ME);
    expect(unusable).toEqual([]);
    expect(messages.map((m) => [m.message.key.id, m.message.message?.conversation, m.message.key.participant])).toEqual([
      ['M1', 'first', '15557770001@s.whatsapp.net'],
      ['M2', 'second', '15557770002@s.whatsapp.net'],
      ['M3', 'third', '15557770001@s.whatsapp.net'],
    ]);
  });

  it('values kept without their arrival (an older version) fall back to the decryption time', async () => {
    const store = storeOf([
      ['a', kept('B', '15557770002@s.whatsapp.net', 'b', { t: 100, at: 2_000 })],
      ['b', kept('A', '15557770001@s.whatsapp.net', 'a', { t: 100, at: 1_000 })],
    ]);
    const { messages } = await readKeptDecryptions(store, 'default', ME);
    expect(messages.map((m) => m.message.key.id)).toEqual(['A', 'B']);
  });
});
