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
