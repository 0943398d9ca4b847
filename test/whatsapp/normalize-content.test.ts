import { proto } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import type { InboundMessage, NormalizeResult } from '../../src/ports/inbound.js';
import { normalizeMessage } from '../../src/whatsapp/normalize.js';
import { ALICE, ALICE_LID, GROUP, SELF, VCARD, ctx, wa } from './normalize-fixtures.js';

function ok(r: NormalizeResult): InboundMessage {
  if (!r.ok) throw new Error(`expected ok, got ${r.reason} ${r.detail ?? ''}`);
  return r.message;
}
const norm = (content: Record<string, unknown>, o = {}) => ok(normalizeMessage(wa(content, o), ctx()));

describe('media', () => {
  it('uses a placeholder for media-only messages and the caption as text', () => {
    const bare = norm({ imageMessage: { mimetype: 'image/jpeg', fileLength: 52_000 } });
    expect(bare).toMatchObject({ kind: 'media', text: '', placeholder: '<media:image>' });
    expect(bare.media).toEqual({ kind: 'image', mimetype: 'image/jpeg', fileLength: 52_000 });
    const captioned = norm({ imageMessage: { mimetype: 'image/jpeg', caption: 'look' } });
    expect(captioned).toMatchObject({ text: 'look', placeholder: '<media:image>' });
  });

  it('describes video, voice notes, documents and stickers', () => {
    expect(norm({ videoMessage: { mimetype: 'video/mp4', seconds: 12, gifPlayback: true } }).media).toEqual({
      kind: 'video',
      mimetype: 'video/mp4',
      seconds: 12,
      gifPlayback: true,
    });
    const voice = norm({ audioMessage: { mimetype: 'audio/ogg; codecs=opus', ptt: true, seconds: 4 } });
    expect(voice).toMatchObject({ placeholder: '<media:audio>', media: { kind: 'audio', ptt: true, seconds: 4 } });
    const doc = norm({ documentMessage: { mimetype: 'application/pdf', fileName: 'a.pdf', fileLength: 10 } });
    expect(doc).toMatchObject({ placeholder: '<media:document>', media: { fileName: 'a.pdf', fileLength: 10 } });
    expect(norm({ stickerMessage: { mimetype: 'image/webp' } }).placeholder).toBe('<media:sticker>');
    expect(norm({ ptvMessage: { mimetype: 'video/mp4' } }).placeholder).toBe('<media:video>');
  });

  it('reads a fileLength beyond 32 bits (protobuf Long)', () => {
    expect(norm({ documentMessage: { fileLength: 5_000_000_000 } }).media?.fileLength).toBe(5_000_000_000);
  });
});

describe('wrappers', () => {
  it('unwraps view-once and ephemeral messages', () => {
    const viewOnce = norm({ viewOnceMessageV2: { message: { imageMessage: { caption: 'once' } } } });
    expect(viewOnce).toMatchObject({ viewOnce: true, text: 'once', placeholder: '<media:image>' });
    const eph = norm({ ephemeralMessage: { message: { extendedTextMessage: { text: 'poof' } } } });
    expect(eph).toMatchObject({ ephemeral: true, text: 'poof', kind: 'text' });
    const both = norm({ ephemeralMessage: { message: { viewOnceMessage: { message: { videoMessage: {} } } } } });
    expect(both).toMatchObject({ ephemeral: true, viewOnce: true, placeholder: '<media:video>' });
  });

  it('unwraps documentWithCaption and device-sent messages', () => {
    const doc = norm({ documentWithCaptionMessage: { message: { documentMessage: { fileName: 'r.pdf', caption: 'report' } } } });
    expect(doc).toMatchObject({ text: 'report', media: { kind: 'document', fileName: 'r.pdf' } });
    const sent = norm({ deviceSentMessage: { destinationJid: ALICE, message: { conversation: 'from phone' } } });
    expect(sent.text).toBe('from phone');
  });

  it('recognizes an edit (protocol MESSAGE_EDIT) with the new text and target', () => {
    const edit = {
      protocolMessage: {
        type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
        key: { remoteJid: ALICE, id: 'ORIG1' },
        editedMessage: { conversation: 'fixed typo' },
      },
    };
    expect(norm(edit)).toMatchObject({ kind: 'edit', text: 'fixed typo', edit: { targetId: 'ORIG1' } });
    expect(norm({ editedMessage: { message: { conversation: 'v2' } } }).text).toBe('v2');
  });
});

describe('contacts, locations, polls, choices', () => {
  it('turns a contact card into "name: +number"', () => {
    const m = norm({ contactMessage: { displayName: 'Bob', vcard: VCARD } });
    expect(m).toMatchObject({ kind: 'contacts', text: 'Contact: Bob: +15559876543' });
    expect(m.contacts).toEqual([{ name: 'Bob', numbers: ['+15559876543'] }]);
  });

  it('reads several cards, falling back to FN and TEL without waid', () => {
    const plain = 'BEGIN:VCARD\nFN:Carol\nitem1.TEL:+44 20 7946 0958\nEND:VCARD';
    const m = norm({ contactsArrayMessage: { displayName: '2 contacts', contacts: [{ vcard: VCARD }, { vcard: plain }] } });
    expect(m.text).toBe('Contact: Bob Builder: +15559876543\nContact: Carol: +442079460958');
  });

  it('describes a location with name, address and coordinates', () => {
    const m = norm({ locationMessage: { degreesLatitude: 52.52, degreesLongitude: 13.405, name: 'TV Tower', address: 'Berlin' } });
    expect(m).toMatchObject({ kind: 'location', text: 'Location: TV Tower, Berlin (52.52, 13.405)' });
    expect(m.location).toEqual({ latitude: 52.52, longitude: 13.405, name: 'TV Tower', address: 'Berlin', live: false });
    const live = norm({ liveLocationMessage: { degreesLatitude: 1.5, degreesLongitude: -2, caption: 'on my way' } });
    expect(live.text).toBe('Live location: 1.5, -2\non my way');
  });

  it('describes a poll with its question and options', () => {
    const poll = { name: 'Lunch?', options: [{ optionName: 'Pizza' }, { optionName: 'Sushi' }], selectableOptionsCount: 1 };
    const m = norm({ pollCreationMessageV3: poll });
    expect(m).toMatchObject({ kind: 'poll', text: 'Poll: Lunch?\n1. Pizza\n2. Sushi' });
    expect(m.poll).toEqual({ question: 'Lunch?', options: ['Pizza', 'Sushi'], selectableCount: 1 });
  });

  it('uses the chosen label of a button or list answer as text', () => {
    expect(norm({ buttonsResponseMessage: { selectedButtonId: 'b1', selectedDisplayText: 'Yes' } }).text).toBe('Yes');
    expect(norm({ listResponseMessage: { title: 'Option 2' } }).text).toBe('Option 2');
  });
});

describe('reactions', () => {
  it('recognizes a reaction and its removal', () => {
    const r = norm({ reactionMessage: { key: { remoteJid: ALICE, id: 'T1', fromMe: true }, text: '👍' } });
    expect(r).toMatchObject({ kind: 'reaction', reaction: { targetId: 'T1', emoji: '👍', removed: false } });
    const removed = norm({ reactionMessage: { key: { id: 'T1' }, text: '' } });
    expect(removed.reaction).toEqual({ targetId: 'T1', emoji: '', removed: true });
  });
});

describe('quoted replies and mentions', () => {
  it('carries the quoted id, body and sender', () => {
    const m = norm({
      extendedTextMessage: {
        text: 'agreed',
        contextInfo: { stanzaId: 'ABC123', participant: ALICE, quotedMessage: { conversation: 'lunch at 1?' } },
      },
    });
    expect(m.quoted).toEqual({ id: 'ABC123', body: 'lunch at 1?', senderJid: ALICE, senderE164: '+15551234567' });
  });

  it('uses the media placeholder for a quoted media message and resolves our own LID', () => {
    const m = norm({
      imageMessage: {
        caption: 'this one',
        contextInfo: { stanzaId: 'Q2', participant: SELF.lid, quotedMessage: { stickerMessage: {} } },
      },
    });
    expect(m.quoted).toEqual({ id: 'Q2', body: '<media:sticker>', senderJid: '99990000001@lid', senderE164: SELF.e164 });
  });

  it('keeps a quoted LID sender when it cannot be resolved', () => {
    const m = norm({ extendedTextMessage: { text: 'x', contextInfo: { stanzaId: 'Q3', participant: ALICE_LID } } });
    expect(m.quoted).toEqual({ id: 'Q3', body: '', senderJid: ALICE_LID, senderE164: null });
  });

  it('reads mentions and the forwarded flag from contextInfo', () => {
    const m = norm(
      {
        extendedTextMessage: {
          text: '@15550000001 hi',
          contextInfo: { mentionedJid: ['15550000001@s.whatsapp.net', ALICE_LID], isForwarded: true },
        },
      },
      { remoteJid: GROUP, participant: ALICE },
    );
    expect(m.mentions).toEqual(['15550000001@s.whatsapp.net', ALICE_LID]);
    expect(m.forwarded).toBe(true);
  });
});
