/**
 * Comparing WhatsApp addresses: allow-list entries (`+15551234567`, digits, JIDs,
 * `"*"`) against a sender, and JIDs against the linked identity (device parts
 * ignored: `15550000001:3@s.whatsapp.net` is `15550000001@s.whatsapp.net`).
 */
import type { InboundSender } from '../ports/inbound.js';
import type { LinkedIdentity } from '../ports/transport.js';

/** `123:4@lid` → `123@lid`; `+1 555-123` → `+1555123`; other strings trimmed. */
export function bareAddress(addr: string): string {
  const t = addr.trim();
  if (t.includes('@')) {
    const [user = '', server = ''] = t.split('@');
    return `${user.split(':')[0]}@${server}`.toLowerCase();
  }
  const digits = t.replace(/[\s()-]/g, '');
  return /^\+?\d+$/.test(digits) ? `+${digits.replace(/^\+/, '')}` : t;
}

/** Every address a sender can be named by (E.164, phone JID, LID). */
export function senderAddresses(from: InboundSender): Set<string> {
  const out = new Set<string>();
  for (const a of [from.e164, from.jid, from.lid]) if (a) out.add(bareAddress(a));
  for (const a of [...out]) {
    const m = /^(\d+)@s\.whatsapp\.net$/.exec(a);
    if (m) out.add(`+${m[1]}`);
  }
  return out;
}

/** True when `list` holds `"*"` or one of the sender's addresses. */
export function listAllows(list: readonly string[], from: InboundSender): boolean {
  if (list.includes('*')) return true;
  return listNames(list, from);
}

/** True when `list` explicitly names the sender (`"*"` does not count). */
export function listNames(list: readonly string[], from: InboundSender): boolean {
  const mine = senderAddresses(from);
  return list.some((entry) => entry !== '*' && mine.has(bareAddress(entry)));
}

/** The linked account's addresses: bare phone JID, bare LID, E.164. */
export function selfAddresses(identity: LinkedIdentity | null): Set<string> {
  const out = new Set<string>();
  if (!identity) return out;
  out.add(bareAddress(identity.jid));
  if (identity.lid) out.add(bareAddress(identity.lid));
  if (identity.e164) {
    out.add(bareAddress(identity.e164));
    out.add(`${identity.e164.replace(/^\+/, '')}@s.whatsapp.net`);
  }
  return out;
}

export function isSelfAddress(addr: string | null | undefined, self: Set<string>): boolean {
  return !!addr && self.has(bareAddress(addr));
}
