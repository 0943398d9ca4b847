/**
 * Label values the metrics may carry for free-form fields (close codes, drop and
 * gate reasons): the known ones, and `other` for the rest, so a new reason or an
 * odd code never makes a new series per value.
 */

/** WhatsApp close codes with a meaning in machines/close-codes.ts (plus 408/428/500/503, the usual transient ones). */
const KNOWN_CODES = new Set([0, 401, 402, 403, 405, 406, 408, 428, 440, 500, 503, 515]);

/** `none` without a status code (a local failure, a stall), `other` for an unlisted code. */
export function boundedCode(code: number | null): string {
  if (code === null) return 'none';
  return KNOWN_CODES.has(code) ? String(code) : 'other';
}

/** `message.dropped` reasons the access policy gives (src/actors/access-policy.ts, src/access/, src/pairing/dm-policy.ts). */
export const DROP_REASONS: ReadonlySet<string> = new Set([
  'unknown-account',
  'broadcast',
  'own-message',
  'duplicate',
  'reaction',
  'edit',
  'catch-up:too-old',
  'catch-up:before-window',
  'config-command',
  'config-not-owner',
  'activation-command',
  'activation-not-owner',
  'from-me',
  'dm-disabled',
  'not-allowlisted',
  'group-policy-disabled',
  'group-not-allowed',
  'group-sender-not-allowed',
]);

/** Drop reasons a ledger entry can end with: the access policy's, and `expired` (src/ledger/resume.ts). */
export const LEDGER_DROP_REASONS: ReadonlySet<string> = new Set([...DROP_REASONS, 'expired']);

/** `message.gated` reasons (src/access/group-gate.ts). */
export const GATED_REASONS: ReadonlySet<string> = new Set(['not-mentioned']);

export function boundedReason(reason: string, known: ReadonlySet<string>): string {
  return known.has(reason) ? reason : 'other';
}
