/**
 * Reads a WhatsApp contact card (vCard 3.0 as WhatsApp sends it) into a name and
 * phone numbers: `TEL;type=CELL;waid=15551234567:+1 555-123-4567` → `+15551234567`.
 * Pure and forgiving: a malformed card yields what could be read.
 */
import type { InboundContact } from '../ports/inbound.js';

function unfold(vcard: string): string[] {
  const out: string[] = [];
  for (const raw of vcard.split(/\r?\n/)) {
    if ((raw.startsWith(' ') || raw.startsWith('\t')) && out.length > 0) {
      out[out.length - 1] += raw.slice(1);
    } else {
      out.push(raw);
    }
  }
  return out;
}

function unescapeValue(value: string): string {
  return value.replace(/\\([,;\\nN])/g, (_m, c: string) => (c === 'n' || c === 'N' ? ' ' : c)).trim();
}

function telNumber(params: string, value: string): string | null {
  const waid = /(?:^|;)waid=(\d+)/i.exec(params);
  if (waid?.[1]) return `+${waid[1]}`;
  const digits = value.replace(/[^\d+]/g, '');
  if (!/\d/.test(digits)) return null;
  return digits.startsWith('+') ? `+${digits.slice(1).replace(/\+/g, '')}` : digits.replace(/\+/g, '');
}

/** Parses one vCard; `fallbackName` (the message's displayName) wins when present. */
export function parseVcard(vcard: string, fallbackName?: string): InboundContact {
  let fn: string | null = null;
  let n: string | null = null;
  const numbers: string[] = [];
  for (const line of unfold(vcard)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const head = line.slice(0, colon);
    const value = line.slice(colon + 1);
    const semi = head.indexOf(';');
    // Property names may carry a group prefix (`item1.TEL`).
    const name = (semi < 0 ? head : head.slice(0, semi)).replace(/^.*\./, '').toUpperCase();
    const params = semi < 0 ? '' : head.slice(semi + 1);
    if (name === 'FN') fn = unescapeValue(value);
    else if (name === 'N') n = unescapeValue(value.split(';').filter(Boolean).reverse().join(' '));
    else if (name === 'TEL') {
      const num = telNumber(params, value);
      if (num && !numbers.includes(num)) numbers.push(num);
    }
  }
  const name = fallbackName?.trim() || fn || n || 'Unknown contact';
  return { name, numbers };
}

/** `Alice: +15551234567, +15557654321` (or just the name when no number). */
export function formatContact(contact: InboundContact): string {
  return contact.numbers.length > 0 ? `${contact.name}: ${contact.numbers.join(', ')}` : contact.name;
}
