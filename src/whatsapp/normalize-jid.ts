/**
 * JID helpers for normalization (pure, never throw). A JID is `user[:device]@server`;
 * phone users live on `s.whatsapp.net` (or legacy `c.us`), LIDs on `lid`.
 */

export interface JidParts {
  user: string;
  server: string;
}

export function splitJid(jid: string): JidParts | null {
  const at = jid.lastIndexOf('@');
  if (at <= 0 || at === jid.length - 1) return null;
  const userPart = jid.slice(0, at);
  const server = jid.slice(at + 1);
  const user = userPart.split(':')[0]?.split('_')[0] ?? '';
  if (!user) return null;
  return { user, server };
}

/** `15551234567:3@s.whatsapp.net` → `15551234567@s.whatsapp.net`; c.us → s.whatsapp.net. */
export function bareJid(jid: string): string {
  const p = splitJid(jid);
  if (!p) return jid;
  const server = p.server === 'c.us' ? 's.whatsapp.net' : p.server;
  return `${p.user}@${server}`;
}

export function isPhoneJid(jid: string): boolean {
  const p = splitJid(jid);
  return !!p && (p.server === 's.whatsapp.net' || p.server === 'c.us') && /^\d{5,20}$/.test(p.user);
}

export function isLidJid(jid: string): boolean {
  return splitJid(jid)?.server === 'lid';
}

export function isGroupJid(jid: string): boolean {
  return splitJid(jid)?.server === 'g.us';
}

/** `15551234567@s.whatsapp.net` → `+15551234567`; null for anything else. */
export function e164FromJid(jid: string): string | null {
  if (!isPhoneJid(jid)) return null;
  return `+${splitJid(jid)?.user ?? ''}`;
}

/** How a chat JID is treated by the inbound path. */
export type ChatClass = 'direct' | 'group' | 'status-broadcast' | 'broadcast' | 'newsletter' | 'other';

export function classifyChat(jid: string): ChatClass {
  if (jid === 'status@broadcast') return 'status-broadcast';
  const server = splitJid(jid)?.server;
  if (server === 'broadcast') return 'broadcast';
  if (server === 'newsletter') return 'newsletter';
  if (server === 'g.us') return 'group';
  if (server === 's.whatsapp.net' || server === 'c.us' || server === 'lid') return 'direct';
  return 'other';
}

/** True when two JIDs name the same user (device part ignored). */
export function sameUser(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return false;
  const pa = splitJid(a);
  const pb = splitJid(b);
  if (!pa || !pb) return false;
  const sa = pa.server === 'c.us' ? 's.whatsapp.net' : pa.server;
  const sb = pb.server === 'c.us' ? 's.whatsapp.net' : pb.server;
  return pa.user === pb.user && sa === sb;
}
