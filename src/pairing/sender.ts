/**
 * One spelling per sender, so `allowFrom`, the approved store and the inbound
 * sender compare equal: phone numbers become `+<digits>` (`"+1 555-123 4567"`,
 * `"15551234567"` → `+15551234567`), JIDs (LIDs) are lower-cased, `*` stays.
 */
export function normalizeSender(raw: string): string {
  const s = raw.trim();
  if (s === '*') return s;
  if (s.includes('@')) return s.toLowerCase();
  const digits = s.replace(/\D/g, '');
  return digits ? `+${digits}` : s;
}
