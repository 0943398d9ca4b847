/**
 * Pairing codes (SPEC §5): 8 characters from an alphabet without look-alikes
 * (no I, O, 0, 1), drawn from a crypto-random source, compared case-insensitively.
 */
import crypto from 'node:crypto';

export const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const CODE_LENGTH = 8;

/** `n` random bytes; the default is `crypto.randomBytes` (tests inject their own). */
export type RandomBytes = (n: number) => Uint8Array;

export const cryptoRandomBytes: RandomBytes = (n) => crypto.randomBytes(n);

/**
 * A fresh code. The alphabet has 32 = 2^5 letters, so `byte & 31` picks each
 * letter with exactly the same probability (no modulo bias).
 */
export function generateCode(random: RandomBytes = cryptoRandomBytes): string {
  const bytes = random(CODE_LENGTH);
  if (bytes.length < CODE_LENGTH) throw new Error(`random source returned ${bytes.length} bytes, need ${CODE_LENGTH}`);
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[bytes[i]! & 31];
  return code;
}

const CODE_RE = new RegExp(`^[${CODE_ALPHABET}]{${CODE_LENGTH}}$`);

/** The canonical (upper-case, trimmed) form of a typed code, or null when it cannot be a code. */
export function normalizeCode(input: string): string | null {
  const code = input.trim().toUpperCase();
  return CODE_RE.test(code) ? code : null;
}
