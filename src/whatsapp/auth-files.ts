/**
 * Reading the files of an old Baileys auth directory (SPEC §12: imported once into the
 * store, `auth-import.ts`; `wagate doctor` and offline status look at ones not imported
 * yet). Nothing here writes: the store holds the creds now.
 */

import { readFile } from 'node:fs/promises';

/** Temp files an older wagate left look like `.creds.json.<pid>.<seq>.tmp`. */
const TEMP_RE = /^\.(.+)\.(\d+)\.(\d+)\.tmp$/;

/** The file a temp file was going to replace (`.creds.json.12.3.tmp` → `creds.json`). */
export function tempTarget(name: string): string | undefined {
  return TEMP_RE.exec(name)?.[1];
}

export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err
    ? String((err as { code: unknown }).code)
    : undefined;
}

/** The file's text, or `undefined` when it does not exist. Any other error is thrown. */
export async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}
