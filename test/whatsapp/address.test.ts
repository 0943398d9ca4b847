import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addressKey,
  formatAddress,
  isSelf,
  jidToE164,
  normalizeSender,
  parseAddress,
  parseChat,
  sameUser,
  toE164,
} from '../../src/whatsapp/address.js';

/** E.164 digits: 7–15, the first not 0. */
const e164Digits = fc
  .tuple(fc.integer({ min: 1, max: 9 }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 6, maxLength: 14 }))
  .map(([first, rest]) => `${first}${rest.join('')}`);
const idDigits = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 20 }).map((d) => d.join(''));
const device = fc.option(fc.integer({ min: 1, max: 99 }), { nil: undefined });

describe('E.164: one rule (+ and 7–15 digits, first not 0)', () => {
  it.each([
    ['+15551234567', '+15551234567'],
    ['15551234567', '+15551234567'],
    [' +1 (555) 123-4567 ', '+15551234567'],
    ['+1234567', '+1234567'],
    ['+123456789012345', '+123456789012345'],
    ['+123456', null],
    ['+1234567890123456', null],
    ['+0551234567', null],
    ['+1 555 abc', null],
    ['', null],
  ])('%j → %j', (input, expected) => {
    expect(toE164(input)).toBe(expected);
    expect(parseAddress(input)?.e164 ?? null).toBe(expected);
  });

  it('a phone JID is a phone only when its user is E.164 digits', () => {
    expect(jidToE164('15551234567:3@s.whatsapp.net')).toBe('+15551234567');
    expect(jidToE164('15551234567@c.us')).toBe('+15551234567');
    expect(jidToE164('12345@s.whatsapp.net')).toBeNull();
    expect(parseAddress('12345@s.whatsapp.net')).toBeNull();
    expect(jidToE164('123456789@lid')).toBeNull();
  });
});

describe('parse and format round trips (properties)', () => {
  it('an E.164 number, its phone JID and any device/c.us spelling parse to one address, which formats back to itself', () => {
    fc.assert(
      fc.property(e164Digits, device, fc.constantFrom('s.whatsapp.net', 'c.us'), fc.boolean(), (digits, dev, server, plus) => {
        const fromNumber = parseAddress(`${plus ? '+' : ''}${digits}`);
        const fromJid = parseAddress(`${digits}${dev ? `:${dev}` : ''}@${server}`);
        expect(fromNumber).toEqual({ kind: 'phone', jid: `${digits}@s.whatsapp.net`, e164: `+${digits}` });
        expect(fromJid).toEqual(fromNumber);
        expect(parseAddress(formatAddress(fromNumber!))).toEqual(fromNumber);
        expect(sameUser(`+${digits}`, `${digits}${dev ? `:${dev}` : ''}@${server}`)).toBe(true);
      }),
    );
  });

  it('LIDs and groups keep their JID (device dropped, case folded) and round-trip', () => {
    fc.assert(
      fc.property(idDigits, device, fc.boolean(), (user, dev, upper) => {
        const lidIn = `${user}${dev ? `:${dev}` : ''}@${upper ? 'LID' : 'lid'}`;
        const lid = parseAddress(lidIn);
        expect(lid).toEqual({ kind: 'lid', jid: `${user}@lid`, e164: null });
        expect(parseAddress(formatAddress(lid!))).toEqual(lid);
        const group = parseAddress(`${user}@g.us`);
        expect(group).toEqual({ kind: 'group', jid: `${user}@g.us`, e164: null });
        expect(parseAddress(formatAddress(group!))).toEqual(group);
        expect(sameUser(lidIn, `${user}@lid`)).toBe(true);
        expect(sameUser(`${user}@lid`, `${user}@g.us`)).toBe(false);
      }),
    );
  });

  it('parse never throws, and whatever parses formats to a JID that parses to the same address', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string().map((s) => `${s}@s.whatsapp.net`), fc.string().map((s) => `${s}@lid`)), (input) => {
        const a = parseAddress(input);
        if (a) expect(parseAddress(formatAddress(a))).toEqual(a);
        expect(normalizeSender(input)).toBe(input.trim() === '*' ? '*' : (addressKey(input) ?? input.trim().toLowerCase()));
      }),
    );
  });
});

describe('chats and "is this me?"', () => {
  it('chats are phone users, LIDs and groups; status, broadcast lists and newsletters are not', () => {
    expect(parseChat('+15551234567')).toMatchObject({ jid: '15551234567@s.whatsapp.net', chatId: '+15551234567', chatType: 'direct' });
    expect(parseChat('42@lid')).toMatchObject({ jid: '42@lid', chatId: '42@lid', chatType: 'direct' });
    expect(parseChat('120363000000000001@g.us')).toMatchObject({ chatType: 'group' });
    for (const no of ['status@broadcast', '123@broadcast', '123@newsletter', 'x@example.com', 'alice', '+1 555']) expect(parseChat(no), no).toBeNull();
  });

  it('isSelf matches the linked phone JID (any device), its E.164 and its LID, nothing else', () => {
    const me = { jid: '15550000001:3@s.whatsapp.net', e164: '+15550000001', lid: '999:2@lid' };
    for (const yes of ['15550000001@s.whatsapp.net', '15550000001:7@s.whatsapp.net', '+1 555 000 0001', '999@lid']) expect(isSelf(yes, me), yes).toBe(true);
    for (const no of ['15550000002@s.whatsapp.net', '998@lid', null, '']) expect(isSelf(no, me), String(no)).toBe(false);
    expect(isSelf('15550000001@s.whatsapp.net', null)).toBe(false);
    expect(isSelf('15550000001@s.whatsapp.net', { e164: '+15550000001' })).toBe(true);
  });
});
