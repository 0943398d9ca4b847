import { proto } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import type { InboundMessage, NormalizeResult } from '../../src/ports/inbound.js';
import { inboundBody, normalizeMessage } from '../../src/whatsapp/normalize.js';
import { ALICE, ALICE_LID, GROUP, SELF, VCARD, ctx, wa } from './normalize-fixtures.js';

function ok(r: NormalizeResult): InboundMessage {
  if (!r.ok) throw new Error(`expected ok, got ${r.reason} ${r.detail ?? ''}`);
  return r.message;
}

describe('normalizeMessage: chats and senders', () => {
  it('turns a direct text message into an InboundMessage keyed by E.164', () => {
    const m = ok(normalizeMessage(wa({ conversation: 'hello' }), ctx()));
    expect(m).toMatchObject({
      accountId: 'default',
      id: '3EB0AAAA0001',
      chatJid: ALICE,
      chatId: '+15551234567',
      chatType: 'direct',
      from: { jid: ALICE, e164: '+15551234567', lid: null, name: 'Alice' },
      fromMe: false,
      isSelfChat: false,
      timestamp: 1_700_000_000_000,
      upsertType: 'notify',
      offline: false,
      kind: 'text',
      text: 'hello',
      mentions: [],
    });
  });

  it('marks append upserts as offline catch-up unless told otherwise', () => {
    expect(ok(normalizeMessage(wa({ conversation: 'x' }), ctx({ upsertType: 'append' }))).offline).toBe(true);
    expect(ok(normalizeMessage(wa({ conversation: 'x' }), ctx({ upsertType: 'notify', offline: true }))).offline).toBe(true);
  });

  it('resolves a LID sender through the alt address Baileys gives', () => {
    const m = ok(normalizeMessage(wa({ conversation: 'hi' }, { remoteJid: ALICE_LID, remoteJidAlt: ALICE }), ctx()));
    expect(m.chatJid).toBe(ALICE_LID);
    expect(m.chatId).toBe('+15551234567');
    expect(m.from).toMatchObject({ jid: ALICE_LID, lid: ALICE_LID, e164: '+15551234567' });
  });

  it('resolves a LID sender through the lookup when known', () => {
    const m = ok(normalizeMessage(wa({ conversation: 'hi' }, { remoteJid: ALICE_LID }), ctx({ lidToE164: () => '15551234567' })));
    expect(m.from.e164).toBe('+15551234567');
    expect(m.chatId).toBe('+15551234567');
  });

  it('keeps an unresolvable LID sender (never dropped), even when the lookup throws', () => {
    const lookup = (): string | null => {
      throw new Error('store down');
    };
    const m = ok(normalizeMessage(wa({ conversation: 'hi' }, { remoteJid: ALICE_LID }), ctx({ lidToE164: lookup })));
    expect(m.from).toMatchObject({ jid: ALICE_LID, e164: null, lid: ALICE_LID });
    expect(m.chatId).toBe(ALICE_LID);
  });

  it('uses the group JID as chat and the participant as sender', () => {
    const m = ok(normalizeMessage(wa({ conversation: 'yo' }, { remoteJid: GROUP, participant: '15551234567:2@s.whatsapp.net' }), ctx()));
    expect(m).toMatchObject({ chatType: 'group', chatJid: GROUP, chatId: GROUP, from: { jid: ALICE, e164: '+15551234567' } });
    expect(m.isSelfChat).toBeUndefined();
  });

  it('resolves a LID group participant through participantAlt', () => {
    const m = ok(normalizeMessage(wa({ conversation: 'yo' }, { remoteJid: GROUP, participant: ALICE_LID, participantAlt: ALICE }), ctx()));
    expect(m.from).toMatchObject({ jid: ALICE_LID, lid: ALICE_LID, e164: '+15551234567' });
  });

  it('ignores a group message without a participant', () => {
    expect(normalizeMessage(wa({ conversation: 'yo' }, { remoteJid: GROUP }), ctx())).toEqual({ ok: false, reason: 'no-sender' });
  });

  it('recognizes the self chat, by phone JID and by LID', () => {
    const byPhone = ok(normalizeMessage(wa({ conversation: 'note' }, { remoteJid: '15550000001@s.whatsapp.net', fromMe: true }), ctx()));
    expect(byPhone).toMatchObject({ isSelfChat: true, fromMe: true, chatId: '+15550000001', from: { e164: '+15550000001' } });
    const byLid = ok(normalizeMessage(wa({ conversation: 'note' }, { remoteJid: '99990000001@lid' }), ctx()));
    expect(byLid.isSelfChat).toBe(true);
  });

  it('attributes our own outbound DM to us while the chat stays the peer', () => {
    const m = ok(normalizeMessage(wa({ conversation: 'sent from phone' }, { fromMe: true, pushName: 'Me' }), ctx()));
    expect(m).toMatchObject({ fromMe: true, isSelfChat: false, chatId: '+15551234567', from: { e164: SELF.e164, name: 'Me' } });
  });
});

describe('normalizeMessage: what is ignored', () => {
  it.each([
    ['status@broadcast', 'status-broadcast'],
    ['1234567890@broadcast', 'broadcast'],
    ['120363111111111111@newsletter', 'newsletter'],
    ['server@call', 'unsupported-chat'],
  ])('ignores chat %s (%s)', (jid, reason) => {
    expect(normalizeMessage(wa({ conversation: 'x' }, { remoteJid: jid }), ctx())).toMatchObject({ ok: false, reason });
  });

  it('ignores protocol messages (revoke, ephemeral setting)', () => {
    const revoke = { protocolMessage: { type: proto.Message.ProtocolMessage.Type.REVOKE, key: { id: 'X' } } };
    expect(normalizeMessage(wa(revoke), ctx())).toMatchObject({ ok: false, reason: 'protocol' });
  });

  it('ignores empty stubs and messages without content', () => {
    const stub = { ...wa(null), messageStubType: proto.WebMessageInfo.StubType.GROUP_PARTICIPANT_ADD };
    expect(normalizeMessage(stub, ctx())).toMatchObject({ ok: false, reason: 'stub' });
    expect(normalizeMessage(wa(null), ctx())).toMatchObject({ ok: false, reason: 'empty' });
    const onlyKeys = wa({ senderKeyDistributionMessage: { groupId: GROUP }, messageContextInfo: {} });
    expect(normalizeMessage(onlyKeys, ctx())).toMatchObject({ ok: false, reason: 'empty' });
  });

  it('ignores encrypted poll votes and messages without a key', () => {
    expect(normalizeMessage(wa({ pollUpdateMessage: { vote: {} } }), ctx())).toMatchObject({ ok: false, reason: 'poll-vote' });
    expect(normalizeMessage({ key: {}, message: { conversation: 'x' } }, ctx())).toMatchObject({ ok: false, reason: 'no-key' });
  });

  it('reports unknown content as unsupported, naming the field', () => {
    const r = normalizeMessage(wa({ callLogMesssage: { isVideo: true } }), ctx());
    expect(r).toMatchObject({ ok: false, reason: 'unsupported', detail: 'callLogMesssage' });
  });
});

describe('inboundBody', () => {
  it('is the text, else the placeholder', () => {
    expect(inboundBody({ text: 'caption', placeholder: '<media:image>' })).toBe('caption');
    expect(inboundBody({ text: '', placeholder: '<media:image>' })).toBe('<media:image>');
    expect(inboundBody({ text: '' })).toBe('');
  });
});
