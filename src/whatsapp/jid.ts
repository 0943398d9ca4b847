/**
 * JID / E.164 / LID helpers. WhatsApp addresses users as `<digits>@s.whatsapp.net`
 * (optionally `<digits>:<device>@…`), privacy identities as `<id>@lid`, groups as
 * `<id>@g.us`.
 */
export const USER_SERVER = 's.whatsapp.net';

const E164 = /^\+?[1-9]\d{6,14}$/;

/** `+15551234567` → `15551234567@s.whatsapp.net`; JIDs pass through; otherwise null. */
export function toJid(to: string): string | null {
  const t = to.trim();
  if (t.includes('@')) return /^[^@\s]+@[a-z.]+$/.test(t) ? t : null;
  const digits = t.replace(/[\s()-]/g, '');
  return E164.test(digits) ? `${digits.replace(/^\+/, '')}@${USER_SERVER}` : null;
}

/** `15551234567:3@s.whatsapp.net` → `+15551234567`; non-phone JIDs → null. */
export function jidToE164(jid: string | null | undefined): string | null {
  if (!jid) return null;
  const m = /^(\d+)(?::\d+)?@s\.whatsapp\.net$/.exec(jid);
  return m ? `+${m[1]}` : null;
}

export function isGroupJid(jid: string): boolean {
  return jid.endsWith('@g.us');
}

export function isLidJid(jid: string): boolean {
  return jid.endsWith('@lid');
}

/** Status, broadcast lists and newsletters: never answered. */
export function isBroadcastJid(jid: string): boolean {
  return jid === 'status@broadcast' || jid.endsWith('@broadcast') || jid.endsWith('@newsletter');
}
