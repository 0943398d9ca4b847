import { describe, expect, it } from 'vitest';
import { buildEnvelope, buildHistoryBlock, formatEnvelopeTime } from '../../src/agents/envelope.js';
import type { InboundMessage } from '../../src/ports/inbound.js';

const T = Date.UTC(2023, 10, 14, 22, 13, 20); // 2023-11-14 22:13:20 UTC

function dm(over: Partial<InboundMessage> = {}): InboundMessage {
  return {
    accountId: 'default',
    id: 'M1',
    chatJid: '15551234567@s.whatsapp.net',
    chatId: '+15551234567',
    chatType: 'direct',
    from: { jid: '15551234567@s.whatsapp.net', e164: '+15551234567', lid: null, name: 'Alice' },
    fromMe: false,
    isSelfChat: false,
    timestamp: T,
    upsertType: 'notify',
    offline: false,
    kind: 'text',
    text: 'hello',
    mentions: [],
    ...over,
  };
}

function group(over: Partial<InboundMessage> = {}): InboundMessage {
  return dm({ chatJid: '120363000000000001@g.us', chatId: '120363000000000001@g.us', chatType: 'group', isSelfChat: undefined, ...over });
}

describe('formatEnvelopeTime', () => {
  it('formats YYYY-MM-DD HH:MM TZ in the given zone', () => {
    expect(formatEnvelopeTime(T, 'UTC')).toBe('2023-11-14 22:13 UTC');
    expect(formatEnvelopeTime(T, 'America/New_York')).toBe('2023-11-14 17:13 EST');
    expect(formatEnvelopeTime(T, 'Asia/Tokyo')).toBe('2023-11-15 07:13 GMT+9');
  });

  it('gives each minute its own text, in every zone, also going back to a minute formatted before', () => {
    const t0 = Date.UTC(2024, 2, 10, 6, 59, 30); // 01:59 EST; a minute later DST starts: 03:00 EDT
    expect(formatEnvelopeTime(t0, 'America/New_York')).toBe('2024-03-10 01:59 EST');
    expect(formatEnvelopeTime(t0 + 20_000, 'America/New_York')).toBe('2024-03-10 01:59 EST');
    expect(formatEnvelopeTime(t0 + 30_000, 'America/New_York')).toBe('2024-03-10 03:00 EDT');
    expect(formatEnvelopeTime(t0 + 30_000, 'UTC')).toBe('2024-03-10 07:00 UTC');
    expect(formatEnvelopeTime(t0, 'America/New_York')).toBe('2024-03-10 01:59 EST');
  });

  it('falls back to UTC for an unknown zone', () => {
    expect(formatEnvelopeTime(T, 'Not/AZone')).toBe('2023-11-14 22:13 UTC');
  });
});

describe('buildEnvelope', () => {
  it('puts the E.164 and time in a direct-chat header', () => {
    const e = buildEnvelope(dm(), { timeZone: 'UTC' });
    expect(e).toEqual({
      Body: '[WhatsApp +15551234567 2023-11-14 22:13 UTC] hello',
      RawBody: 'hello',
      From: '+15551234567',
      ChatType: 'direct',
      SenderLabel: 'Alice (+15551234567)',
    });
  });

  it('uses the sender LID when it could not be resolved', () => {
    const m = dm({ chatJid: '111@lid', chatId: '111@lid', from: { jid: '111@lid', e164: null, lid: '111@lid', name: null } });
    expect(buildEnvelope(m, { timeZone: 'UTC' }).Body).toBe('[WhatsApp 111@lid 2023-11-14 22:13 UTC] hello');
  });

  it('leaves no trailing space when there is no text', () => {
    expect(buildEnvelope(dm({ text: '' }), { timeZone: 'UTC' }).Body).toBe('[WhatsApp +15551234567 2023-11-14 22:13 UTC]');
  });

  it('applies messagePrefix to the inbound text', () => {
    expect(buildEnvelope(dm(), { timeZone: 'UTC', messagePrefix: '[wa]' }).Body).toBe('[WhatsApp +15551234567 2023-11-14 22:13 UTC] [wa] hello');
  });

  it('shows a media placeholder for media without caption', () => {
    const m = dm({ kind: 'media', text: '', placeholder: '<media:image>' });
    expect(buildEnvelope(m, { timeZone: 'America/New_York' }).Body).toBe('[WhatsApp +15551234567 2023-11-14 17:13 EST] <media:image>');
  });

  it('names the group by subject (else JID) and labels the sender', () => {
    expect(buildEnvelope(group(), { timeZone: 'UTC', groupSubject: 'Team' }).Body).toBe(
      '[WhatsApp Team 2023-11-14 22:13 UTC] Alice (+15551234567): hello',
    );
    const e = buildEnvelope(group({ from: { jid: 'x@s.whatsapp.net', e164: '+1999', lid: null, name: null } }), { timeZone: 'UTC' });
    expect(e.Body).toBe('[WhatsApp 120363000000000001@g.us 2023-11-14 22:13 UTC] +1999: hello');
    expect(e.From).toBe('120363000000000001@g.us');
  });

  it('appends the quoted block and sets ReplyTo fields', () => {
    const quoted = { id: 'ABC123', body: 'lunch at 1?', senderJid: '15557654321@s.whatsapp.net', senderE164: '+15557654321' };
    const e = buildEnvelope(dm({ text: 'yes', quoted }), { timeZone: 'UTC' });
    expect(e.Body).toBe(
      '[WhatsApp +15551234567 2023-11-14 22:13 UTC] yes\n[Replying to +15557654321 id:ABC123]\nlunch at 1?\n[/Replying]',
    );
    expect(e).toMatchObject({ ReplyToId: 'ABC123', ReplyToBody: 'lunch at 1?', ReplyToSender: '+15557654321' });
  });

  it('quotes media by placeholder and an unknown sender by JID', () => {
    const quoted = { id: 'Q9', body: '<media:sticker>', senderJid: '222@lid', senderE164: null };
    const e = buildEnvelope(dm({ quoted }), { timeZone: 'UTC' });
    expect(e.Body.split('\n').slice(1)).toEqual(['[Replying to 222@lid id:Q9]', '<media:sticker>', '[/Replying]']);
    expect(e.ReplyToSender).toBe('222@lid');
  });

  it('puts group history before the current message', () => {
    const history = [{ sender: { name: 'Bob', e164: '+15550000002' }, body: 'earlier' }];
    const e = buildEnvelope(group(), { timeZone: 'UTC', groupSubject: 'Team', history });
    expect(e.Body).toBe(
      [
        '[Chat messages since your last reply - for context]',
        'earlier [from: Bob (+15550000002)]',
        '',
        '[Current message - respond to this]',
        '[WhatsApp Team 2023-11-14 22:13 UTC] Alice (+15551234567): hello',
      ].join('\n'),
    );
  });
});

describe('buildHistoryBlock', () => {
  it('returns the current message alone when there is no history', () => {
    expect(buildHistoryBlock([], 'now')).toBe('now');
  });

  it('adds [from: …] only to entries without a sender label', () => {
    const labelled = buildEnvelope(group({ text: 'hi all' }), { timeZone: 'UTC', groupSubject: 'Team' }).Body;
    const block = buildHistoryBlock(
      [
        { sender: { name: 'Alice', e164: '+15551234567' }, body: labelled },
        { sender: { name: null, e164: '+15550000003' }, body: 'no label' },
        { sender: { name: 'Lee', e164: null, lid: '333@lid' }, body: 'by lid' },
      ],
      'current',
    );
    expect(block.split('\n')).toEqual([
      '[Chat messages since your last reply - for context]',
      '[WhatsApp Team 2023-11-14 22:13 UTC] Alice (+15551234567): hi all',
      'no label [from: +15550000003]',
      'by lid [from: Lee (333@lid)]',
      '',
      '[Current message - respond to this]',
      'current',
    ]);
  });
});
