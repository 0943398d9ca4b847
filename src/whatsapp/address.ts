/**
 * The one address module: WhatsApp JIDs, E.164 numbers and LIDs are parsed,
 * formatted and compared here, by one set of rules, on Baileys' own jid-utils
 * (`jidDecode`, `jidEncode`, `jidNormalizedUser`, `isLidUser`). "Is this me?"
 * is answered here too (`isSelf`). Code outside `src/whatsapp/` may import this
 * file (it is the edge's public helper); it never imports Baileys itself.
 *
 * WhatsApp addresses users as `<digits>@s.whatsapp.net` (legacy `c.us`;
 * optionally `<digits>:<device>@…`), privacy identities as `<id>@lid`, groups as
 * `<id>@g.us`. A user types a phone number as E.164: a `+` and 7–15 digits, the
 * first not 0 (spaces, dots, dashes and parentheses are ignored; the `+` may be
 * left out). A phone JID whose user is not such a number is not a phone JID.
 *
 * The deep import of jid-utils (a file with no imports of its own) keeps the CLI
 * from loading all of Baileys just to check a `--to`; Baileys is pinned.
 */
import { isLidUser, jidDecode, jidEncode, jidNormalizedUser } from '@whiskeysockets/baileys/lib/WABinary/jid-utils.js';

export const USER_SERVER = 's.whatsapp.net';

/** E.164 as wagate writes it: `+`, then 7–15 digits, the first not 0. */
export const E164_PATTERN = /^\+[1-9]\d{6,14}$/;

export type AddressKind = 'phone' | 'lid' | 'group' | 'status' | 'broadcast' | 'newsletter';

export interface Address {
  kind: AddressKind;
  /** The JID without device or agent part (`c.us` written as `s.whatsapp.net`). */
  jid: string;
  /** `+<digits>` for a phone user; null otherwise. */
  e164: string | null;
}

/** A chat one can send to: a phone user, a LID user or a group. */
export interface ChatAddress extends Address {
  kind: 'phone' | 'lid' | 'group';
  /** How wagate names the chat: the E.164 for phone users, the JID otherwise. */
  chatId: string;
  chatType: 'direct' | 'group';
}

/** `+1 (555) 123-4567`, `15551234567` → `+15551234567`; null unless it is E.164 (7–15 digits). */
export function toE164(input: string | null | undefined): string | null {
  if (typeof input !== 'string') return null;
  const t = input.trim().replace(/[\s().-]/g, '');
  if (!/^\+?\d+$/.test(t)) return null;
  const e164 = `+${t.replace(/^\+/, '')}`;
  return E164_PATTERN.test(e164) ? e164 : null;
}

const phone = (digits: string): Address => ({ kind: 'phone', jid: jidEncode(digits, USER_SERVER), e164: `+${digits}` });

/**
 * Any address wagate accepts: an E.164 number (as a user types it) or a JID
 * (`user[:device]@server`, any case). Null for anything else, never throws.
 */
export function parseAddress(input: string | null | undefined): Address | null {
  if (typeof input !== 'string') return null;
  const t = input.trim();
  if (!t.includes('@')) {
    const e164 = toE164(t);
    return e164 ? phone(e164.slice(1)) : null;
  }
  if (/\s/.test(t)) return null;
  const decoded = jidDecode(t.toLowerCase());
  if (!decoded?.user || (decoded.device !== undefined && !Number.isInteger(decoded.device))) return null;
  const bare = jidNormalizedUser(t.toLowerCase());
  const { user } = decoded;
  switch (decoded.server) {
    case 's.whatsapp.net':
    case 'c.us':
      return E164_PATTERN.test(`+${user}`) ? phone(user) : null;
    case 'lid':
      return /^\d+$/.test(user) && isLidUser(bare) ? { kind: 'lid', jid: bare, e164: null } : null;
    case 'g.us':
      return /^\d+(-\d+)?$/.test(user) ? { kind: 'group', jid: bare, e164: null } : null;
    case 'broadcast':
      return { kind: user === 'status' ? 'status' : 'broadcast', jid: bare, e164: null };
    case 'newsletter':
      return /^\d+$/.test(user) ? { kind: 'newsletter', jid: bare, e164: null } : null;
    default:
      return null;
  }
}

/** The JID for an address (the inverse of `parseAddress`: parsing it gives the same address back). */
export function formatAddress(address: Address): string {
  return address.jid;
}

/** A chat to send to (`message send --to`, control `send`/`agent --to`, heartbeat `to`, tools). */
export function parseChat(input: string | null | undefined): ChatAddress | null {
  const a = parseAddress(input);
  if (!a || (a.kind !== 'phone' && a.kind !== 'lid' && a.kind !== 'group')) return null;
  return { ...a, kind: a.kind, chatId: a.e164 ?? a.jid, chatType: a.kind === 'group' ? 'group' : 'direct' };
}

/** What a user is told when `parseChat` refuses an input. */
export function badChatMessage(input: string): string {
  return `"${input}" is not an E.164 number (+ and 7–15 digits, e.g. +15551234567) or a WhatsApp user, LID or group JID.`;
}

/** `+15551234567` / a chat JID → the bare chat JID; null when it is not a chat address. */
export function toChatJid(input: string | null | undefined): string | null {
  return parseChat(input)?.jid ?? null;
}

/** `15551234567:3@s.whatsapp.net` → `+15551234567`; null for anything but a phone address. */
export function jidToE164(jid: string | null | undefined): string | null {
  return parseAddress(jid)?.e164 ?? null;
}

/** The JID without device part (`c.us` → `s.whatsapp.net`); an input that is no JID comes back unchanged. */
export function bareJid(jid: string): string {
  return jidNormalizedUser(jid) || jid;
}

export function isLidJid(jid: string | null | undefined): boolean {
  return parseAddress(jid)?.kind === 'lid';
}

export function isGroupJid(jid: string | null | undefined): boolean {
  return parseAddress(jid)?.kind === 'group';
}

export function isPhoneJid(jid: string | null | undefined): boolean {
  return typeof jid === 'string' && jid.includes('@') && parseAddress(jid)?.kind === 'phone';
}

/** Status, broadcast lists and newsletters: never answered. */
export function isBroadcastJid(jid: string): boolean {
  const server = jidDecode(jid)?.server;
  return server === 'broadcast' || server === 'newsletter';
}

/** How a chat JID is treated by the inbound path. */
export type ChatClass = 'direct' | 'group' | 'status-broadcast' | 'broadcast' | 'newsletter' | 'other';

export function classifyChat(jid: string): ChatClass {
  const server = jidDecode(jid)?.server;
  if (server === 'broadcast') return jid === 'status@broadcast' ? 'status-broadcast' : 'broadcast';
  if (server === 'newsletter') return 'newsletter';
  if (server === 'g.us') return 'group';
  if (server === 's.whatsapp.net' || server === 'c.us' || server === 'lid') return 'direct';
  return 'other';
}

/**
 * The one spelling two names of a user share: `+E164` for phone users (whether
 * written as a number or a phone JID, with or without device), the bare JID for
 * LIDs and groups; null when the input is no address.
 */
export function addressKey(input: string | null | undefined): string | null {
  const a = parseAddress(input);
  return a ? (a.e164 ?? a.jid) : null;
}

/** True when two addresses name the same user or chat (device part, case and number formatting ignored). */
export function sameUser(a: string | null | undefined, b: string | null | undefined): boolean {
  const ka = addressKey(a);
  return ka !== null && ka === addressKey(b);
}

/** The linked account, as far as it is known. */
export interface SelfIdentity {
  jid?: string | null;
  e164?: string | null;
  lid?: string | null;
}

/** "Is this me?": does `addr` name the linked account (its phone JID, E.164 or LID)? */
export function isSelf(addr: string | null | undefined, self: SelfIdentity | null | undefined): boolean {
  if (!self || !addr) return false;
  return [self.jid, self.e164, self.lid].some((mine) => sameUser(addr, mine));
}

/**
 * One spelling for allow-lists and the pairing store: `*` stays, addresses
 * become their `addressKey`, anything else is trimmed and lower-cased.
 */
export function normalizeSender(raw: string): string {
  const s = raw.trim();
  if (s === '*') return s;
  return addressKey(s) ?? s.toLowerCase();
}
