/**
 * Session key → file name. Injective and safe on every file system: letters,
 * digits and `.@+_-` stay, everything else (`:` included) becomes `%XX` (UTF-8
 * bytes). Very long names keep a prefix and add a hash.
 */
import { createHash } from 'node:crypto';

const SAFE = /[A-Za-z0-9.@+_-]/;
const MAX_STEM = 200;

export function sessionFileName(sessionKey: string): string {
  let stem = '';
  for (const ch of sessionKey) {
    if (SAFE.test(ch)) stem += ch;
    else for (const b of Buffer.from(ch, 'utf8')) stem += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (stem.startsWith('.')) stem = `%2E${stem.slice(1)}`;
  if (stem.length > MAX_STEM) {
    const hash = createHash('sha256').update(sessionKey).digest('hex').slice(0, 16);
    stem = `${stem.slice(0, MAX_STEM - 17)}~${hash}`;
  }
  return `${stem}.jsonl`;
}

/**
 * A session file name back to its key (the one-time import of the JSONL files).
 * `hashed` when the key was too long and only a prefix survives in the name.
 */
export function sessionKeyFromFileName(name: string): { key: string; hashed: boolean } | undefined {
  if (!name.endsWith('.jsonl')) return undefined;
  let stem = name.slice(0, -'.jsonl'.length);
  const tilde = stem.lastIndexOf('~');
  const hashed = tilde >= 0 && /^[0-9a-f]{16}$/.test(stem.slice(tilde + 1));
  if (hashed) stem = stem.slice(0, tilde);
  if (!stem) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < stem.length; i++) {
    const ch = stem[i] as string;
    if (ch === '%' && /^[0-9A-F]{2}$/.test(stem.slice(i + 1, i + 3))) {
      bytes.push(parseInt(stem.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (SAFE.test(ch)) {
      bytes.push(ch.charCodeAt(0));
    } else {
      return undefined;
    }
  }
  const key = Buffer.from(bytes).toString('utf8');
  if (!hashed && sessionFileName(key) !== name) return undefined;
  return { key, hashed };
}
