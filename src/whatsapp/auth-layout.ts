/**
 * Where an account's old Baileys auth files live (SPEC §1, §4): the directory the
 * importer reads once into the store (`auth-import.ts`).
 *
 * Layout: `<state>/credentials/whatsapp/<accountId>/` (or the account's `authDir`),
 * `creds.json` + `creds.json.bak` + key files named `<type>-<id>.json` exactly as
 * Baileys' `useMultiFileAuthState` names them, so existing directories keep working.
 * Legacy: the default account uses `<state>/credentials/` itself when its own
 * directory holds no linked creds (absent, or fresh and never linked; a damaged
 * creds.json stays this account's) and `<state>/credentials/creds.json` exists.
 */
import path from 'node:path';
import type { SignalDataTypeMap } from '@whiskeysockets/baileys';
import { WagateError } from '../errors.js';
import { BACKUP_FILE, CREDS_FILE, inspectCreds } from './auth-creds.js';
import { tempTarget } from './auth-files.js';

/** Every key type Baileys stores; the check below fails to compile if Baileys adds one. */
export const KEY_TYPES = [
  'pre-key',
  'session',
  'sender-key',
  'sender-key-memory',
  'app-state-sync-key',
  'app-state-sync-version',
  'lid-mapping',
  'device-list',
  'tctoken',
  'identity-key',
] as const satisfies ReadonlyArray<keyof SignalDataTypeMap>;
type UnlistedKeyType = Exclude<keyof SignalDataTypeMap, (typeof KEY_TYPES)[number]>;
export const KEY_TYPES_ARE_COMPLETE: [UnlistedKeyType] extends [never] ? true : never = true;

/** Baileys' file name for a key: `/` → `__`, `:` → `-` (as in useMultiFileAuthState). */
export function fixFileName(file: string): string {
  return file.replace(/\//g, '__').replace(/:/g, '-');
}

export function keyFileName(type: string, id: string): string {
  return fixFileName(`${type}-${id}.json`);
}

const KEY_FILE_RE = new RegExp(
  `^(${[...KEY_TYPES].sort((a, b) => b.length - a.length).join('|')})-.+\\.json$`,
);

/** True for Baileys' files: creds, its backup, key files, and an older wagate's temp files of them. */
export function isAuthFileName(name: string): boolean {
  const target = tempTarget(name) ?? name;
  return target === CREDS_FILE || target === BACKUP_FILE || KEY_FILE_RE.test(target);
}

export interface ResolveAuthDirInput {
  stateDir: string;
  accountId: string;
  /** The account's configured `authDir` (relative paths are taken from the state dir). */
  authDir?: string;
  /** The account is the default account (only it may use the legacy layout). */
  isDefault: boolean;
}

export interface ResolvedAuthDir {
  dir: string;
  legacy: boolean;
}

function checkAccountId(accountId: string): void {
  if (!accountId || accountId === '.' || accountId === '..' || /[/\\]/.test(accountId)) {
    throw new WagateError(
      'WAGATE_ERR_CONFIG',
      `Account id ${JSON.stringify(accountId)} cannot name a directory; use letters, digits, - or _.`,
    );
  }
}

export async function resolveAuthDir(input: ResolveAuthDirInput): Promise<ResolvedAuthDir> {
  if (input.authDir) return { dir: path.resolve(input.stateDir, input.authDir), legacy: false };
  checkAccountId(input.accountId);
  const credentials = path.join(input.stateDir, 'credentials');
  const dir = path.join(credentials, 'whatsapp', input.accountId);
  if (!input.isDefault) return { dir, legacy: false };
  const own = await inspectCreds(dir);
  // A damaged creds.json here is this account's problem to restore or report, not a
  // reason to switch silently to the legacy identity.
  if (own.linked || own.creds === 'empty' || own.creds === 'corrupt') return { dir, legacy: false };
  const legacy = (await inspectCreds(credentials)).creds !== 'missing';
  return legacy ? { dir: credentials, legacy: true } : { dir, legacy: false };
}
