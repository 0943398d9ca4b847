/**
 * Allow-lists against a sender: entries (`+15551234567`, digits, phone or LID
 * JIDs, `"*"`) match when they name the same user as one of the sender's
 * addresses (E.164, phone JID, LID). The comparison is src/whatsapp/address.ts's
 * (`addressKey`); "is this me?" is `isSelf` there.
 */
import type { InboundSender } from '../../ports/inbound.js';
import { normalizeSender } from '../../whatsapp/address.js';

/** Every key a sender can be named by (its E.164, phone JID and LID, spelled by `normalizeSender`). */
export function senderAddresses(from: InboundSender): Set<string> {
  const out = new Set<string>();
  for (const a of [from.e164, from.jid, from.lid]) if (a) out.add(normalizeSender(a));
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
  return list.some((entry) => entry !== '*' && mine.has(normalizeSender(entry)));
}
