import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NormalizeResult } from '../../src/ports/inbound.js';
import { normalizeMessage, type NormalizeContext } from '../../src/whatsapp/normalize.js';
import { ALICE, ALICE_LID, GROUP, ctx } from './normalize-fixtures.js';

/** Normalization must be total: any input gives a result, never a throw or an internal failure. */
function checkTotal(input: unknown, c: NormalizeContext): NormalizeResult {
  const r = normalizeMessage(input as Parameters<typeof normalizeMessage>[0], c);
  if (!r.ok) expect(r.detail ?? '').not.toMatch(/^internal:/);
  else {
    expect(typeof r.message.text).toBe('string');
    expect(Array.isArray(r.message.mentions)).toBe(true);
    expect(Number.isFinite(r.message.timestamp)).toBe(true);
    expect(JSON.parse(JSON.stringify(r.message))).toEqual(r.message);
  }
  return r;
}

const jid = fc.oneof(
  fc.constantFrom(ALICE, ALICE_LID, GROUP, 'status@broadcast', '1@broadcast', '1@newsletter', '15550000001:3@s.whatsapp.net', '@', 'x@', ''),
  fc.string(),
);
const text = fc.oneof(fc.string(), fc.constant(''), fc.string({ unit: 'grapheme' }));
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const longish = fc.oneof(fc.nat(), fc.record({ low: fc.integer(), high: fc.integer(), unsigned: fc.boolean() }), fc.anything());

const contextInfo = fc.record(
  {
    stanzaId: maybe(fc.oneof(fc.string(), fc.anything())),
    participant: maybe(jid),
    mentionedJid: maybe(fc.array(fc.oneof(jid, fc.anything()))),
    quotedMessage: maybe(fc.oneof(fc.record({ conversation: text }), fc.anything())),
    isForwarded: maybe(fc.anything()),
  },
  { requiredKeys: [] },
);
const media = fc.record(
  { caption: maybe(text), mimetype: maybe(fc.anything()), fileLength: maybe(longish), seconds: maybe(longish), ptt: maybe(fc.anything()), fileName: maybe(fc.anything()), contextInfo: maybe(contextInfo) },
  { requiredKeys: [] },
);

const leaf: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ conversation: fc.oneof(text, fc.anything()) }),
  fc.record({ extendedTextMessage: fc.record({ text: maybe(text), contextInfo: maybe(contextInfo) }, { requiredKeys: [] }) }),
  fc.constantFrom('imageMessage', 'videoMessage', 'audioMessage', 'documentMessage', 'stickerMessage', 'ptvMessage').chain((k) => media.map((m) => ({ [k]: m }))),
  fc.record({ contactMessage: fc.record({ displayName: maybe(text), vcard: maybe(fc.oneof(text, fc.constant('BEGIN:VCARD\nTEL;waid=1:+1\n x\nEND:VCARD'))) }, { requiredKeys: [] }) }),
  fc.record({ contactsArrayMessage: fc.record({ contacts: maybe(fc.array(fc.anything())) }, { requiredKeys: [] }) }),
  fc.record({ locationMessage: fc.record({ degreesLatitude: maybe(longish), degreesLongitude: maybe(longish), name: maybe(fc.anything()) }, { requiredKeys: [] }) }),
  fc.record({ pollCreationMessageV3: fc.record({ name: maybe(fc.anything()), options: maybe(fc.array(fc.anything())) }, { requiredKeys: [] }) }),
  fc.record({ reactionMessage: fc.record({ key: maybe(fc.anything()), text: maybe(fc.anything()) }, { requiredKeys: [] }) }),
  fc.record({ protocolMessage: fc.record({ type: maybe(fc.oneof(fc.constant(14), fc.anything())), key: maybe(fc.anything()), editedMessage: maybe(fc.anything()) }, { requiredKeys: [] }) }),
  fc.dictionary(fc.string(), fc.anything()),
);
const WRAPPERS = ['ephemeralMessage', 'viewOnceMessage', 'viewOnceMessageV2', 'documentWithCaptionMessage', 'editedMessage', 'deviceSentMessage'];
const content = fc
  .tuple(leaf, fc.array(fc.constantFrom(...WRAPPERS), { maxLength: 10 }))
  .map(([inner, wraps]) => wraps.reduce<Record<string, unknown>>((m, w) => ({ [w]: { message: m } }), inner));

const shaped = fc.record(
  {
    key: fc.record(
      { remoteJid: maybe(jid), id: maybe(fc.oneof(fc.string(), fc.anything())), fromMe: maybe(fc.anything()), participant: maybe(jid), remoteJidAlt: maybe(jid), participantAlt: maybe(jid) },
      { requiredKeys: [] },
    ),
    message: fc.oneof(content, fc.anything()),
    messageTimestamp: maybe(longish),
    pushName: maybe(fc.anything()),
    messageStubType: maybe(fc.anything()),
  },
  { requiredKeys: [] },
);

const anyCtx = fc.record({
  upsertType: fc.constantFrom('notify' as const, 'append' as const),
  lid: fc.constant((l: string) => (l.length % 2 ? '+15550001111' : null)),
});

describe('normalizeMessage never throws', () => {
  it('on arbitrary values', () => {
    fc.assert(fc.property(fc.anything(), (input) => void checkTotal(input, ctx())), { numRuns: 500 });
  });

  it('on structured generators of real shapes (wrappers, media, quoted, LIDs)', () => {
    fc.assert(
      fc.property(shaped, anyCtx, (input, c) => void checkTotal(input, ctx({ upsertType: c.upsertType, lidToE164: c.lid }))),
      { numRuns: 2000 },
    );
  });

  it('accepts well-formed text messages in every direct/group shape', () => {
    fc.assert(
      fc.property(fc.constantFrom(ALICE, ALICE_LID, GROUP), text.filter((t) => t.length > 0), (remoteJid, t) => {
        const r = checkTotal({ key: { remoteJid, id: 'ID1', participant: ALICE }, message: { conversation: t } }, ctx());
        expect(r.ok && r.message.text).toBe(t);
      }),
    );
  });
});
