/**
 * The control token: `gateway.auth.token` from the config, or a generated token
 * kept in `<state>/gateway.token` (mode 0600) that the CLI reads.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { writeFileAtomic } from '../config/write.js';
import { tokenFilePath } from '../state-layout.js';

/** Read the token file; null when absent. */
export function readTokenFile(stateDir: string): string | null {
  try {
    const t = fs.readFileSync(tokenFilePath(stateDir), 'utf8').trim();
    return t.length > 0 ? t : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The token the gateway uses: configured, else the token file, else a new one (written 0600). */
export async function loadOrCreateToken(stateDir: string, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  const existing = readTokenFile(stateDir);
  if (existing) return existing;
  const token = crypto.randomBytes(24).toString('base64url');
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(tokenFilePath(stateDir), `${token}\n`, 0o600);
  return token;
}

const digest = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest();

/**
 * Constant-time comparison: both sides are hashed to equal-length digests first,
 * so neither the content nor the length of the expected token leaks through timing.
 */
export function tokenMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  return crypto.timingSafeEqual(digest(expected), digest(given));
}

export { isLoopback } from './bind-policy.js';
