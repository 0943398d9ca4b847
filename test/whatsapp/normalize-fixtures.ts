/** Real Baileys message shapes for the normalization tests. */
import { proto, type WAMessage } from '@whiskeysockets/baileys';
import type { NormalizeContext } from '../../src/whatsapp/normalize.js';

export const SELF = { jid: '15550000001:3@s.whatsapp.net', e164: '+15550000001', lid: '99990000001:3@lid' };
export const ALICE = '15551234567@s.whatsapp.net';
export const ALICE_LID = '11112222333@lid';
export const GROUP = '120363000000000001@g.us';

export function ctx(over: Partial<NormalizeContext> = {}): NormalizeContext {
  return { accountId: 'default', self: SELF, upsertType: 'notify', ...over };
}

export interface MsgOpts {
  remoteJid?: string;
  remoteJidAlt?: string;
  participant?: string;
  participantAlt?: string;
  fromMe?: boolean;
  id?: string;
  pushName?: string;
  timestamp?: number;
}

/** A `WAMessage` as Baileys upserts it; `content` goes through `proto.Message.fromObject`. */
export function wa(content: Record<string, unknown> | null, o: MsgOpts = {}): WAMessage {
  const key: WAMessage['key'] = {
    remoteJid: o.remoteJid ?? ALICE,
    fromMe: o.fromMe ?? false,
    id: o.id ?? '3EB0AAAA0001',
  };
  if (o.participant) key.participant = o.participant;
  if (o.remoteJidAlt) key.remoteJidAlt = o.remoteJidAlt;
  if (o.participantAlt) key.participantAlt = o.participantAlt;
  return {
    key,
    message: content === null ? null : proto.Message.fromObject(content),
    messageTimestamp: o.timestamp ?? 1_700_000_000,
    pushName: o.pushName ?? 'Alice',
  };
}

export const VCARD = [
  'BEGIN:VCARD',
  'VERSION:3.0',
  'FN:Bob Builder',
  'TEL;type=CELL;type=VOICE;waid=15559876543:+1 555-987-6543',
  'END:VCARD',
].join('\n');
