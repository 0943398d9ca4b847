/**
 * The SQLite store's file (SPEC §12): where it lives, its mode — created 0600 before
 * SQLite opens it, tightened when others could read it — and driver and file-system
 * failures turned into WAGATE_ERR_STORE with a hint at what to do.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { isWagateError, WagateError } from '../errors.js';

export const STORE_FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

function errCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function hintFor(code: string): string {
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return 'another process holds it locked; stop the other gateway or command using this state directory';
  }
  if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) {
    return 'the file is damaged or not a wagate store; restore a backup, or move it away to start empty (accounts must then be linked again)';
  }
  if (code.startsWith('SQLITE_FULL')) return 'the disk is full';
  return "check the disk and the file's permissions (see `wagate doctor`)";
}

/** Driver and file-system failures as WAGATE_ERR_STORE; anything else (a caller's bug) as it is. */
export function storeError(location: string, what: string, err: unknown): unknown {
  if (isWagateError(err)) return err;
  const code = errCode(err);
  const isDriver = err instanceof Database.SqliteError || (code !== undefined && /^(SQLITE_|E[A-Z]+$)/.test(code));
  if (!isDriver || code === undefined) return err;
  return new WagateError('WAGATE_ERR_STORE', `Cannot ${what} in the store ${location} (${code}): ${hintFor(code)}.`, {
    cause: err,
  });
}

/** Create (0600) or tighten the database file and its WAL files before SQLite opens them. */
export function prepareFiles(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: DIR_MODE });
  const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, STORE_FILE_MODE);
  try {
    if ((fs.fstatSync(fd).mode & 0o777) !== STORE_FILE_MODE) fs.fchmodSync(fd, STORE_FILE_MODE);
  } finally {
    fs.closeSync(fd);
  }
  for (const extra of [`${file}-wal`, `${file}-shm`]) {
    const st = fs.statSync(extra, { throwIfNoEntry: false });
    if (st?.isFile() && (st.mode & 0o777) !== STORE_FILE_MODE) fs.chmodSync(extra, STORE_FILE_MODE);
  }
}
