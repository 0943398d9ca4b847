/**
 * Old state files after their one-time import into the store (SPEC §12): they are never
 * deleted, but moved aside to `<path>.imported-<YYYYMMDD>` (`-2`, `-3` … when that
 * exists), so nothing reads or imports them again; `wagate doctor` lists what is left
 * (`IMPORTED_SUFFIX`). Used for Baileys auth dirs (whatsapp/auth-import.ts) and the
 * access-side files (state-import.ts).
 */
import { readFile, rename, stat } from 'node:fs/promises';
import path from 'node:path';

/** The suffix of a file or directory moved aside after its import. */
export const IMPORTED_SUFFIX = '.imported-';

function yyyymmdd(at: number): string {
  const d = new Date(at);
  return `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}`;
}

function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** `<p>.imported-<YYYYMMDD>`, or with `-2`, `-3` … when that exists (nothing is created). */
export async function importedTarget(p: string, at: number): Promise<string> {
  const base = `${path.resolve(p)}${IMPORTED_SUFFIX}${yyyymmdd(at)}`;
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    const st = await stat(candidate).catch((err: unknown) => {
      if (errnoCode(err) === 'ENOENT') return null;
      throw err;
    });
    if (!st) return candidate;
  }
}

/** An old state file's text, or undefined when there is none (any other read error is thrown). */
export async function readOldFile(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** Move the file `p` aside (see the file comment); returns where it went. */
export async function moveAside(p: string, at: number): Promise<string> {
  const target = await importedTarget(p, at);
  await rename(p, target);
  return target;
}
