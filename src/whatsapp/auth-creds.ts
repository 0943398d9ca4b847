/**
 * `creds.json` and its backup `creds.json.bak` (SPEC §1, §4).
 *
 * - Load: a good `creds.json` is used; a missing, empty or unparsable one with a good
 *   `.bak` is restored from it (with a warning); fresh creds only when `creds.json` is
 *   genuinely absent (ENOENT) and no `.bak` exists. Any other read error, or a bad
 *   `creds.json` with no good backup, is `WAGATE_ERR_CREDS` — never "no creds".
 * - Save: a current `creds.json` that parses is copied to `.bak` first, then the new
 *   creds replace `creds.json`; both atomically, 0600.
 *
 * Nothing here logs or reports file contents: they are secrets.
 */
import path from 'node:path';
import type { AuthenticationCreds } from '@whiskeysockets/baileys';
import { BufferJSON, initAuthCreds } from './baileys-auth.js';
import { WagateError } from '../errors.js';
import { errnoCode, readTextIfExists, writeFileAtomic, writeFilesAtomic } from './auth-files.js';

export const CREDS_FILE = 'creds.json';
export const BACKUP_FILE = 'creds.json.bak';

/** The subset of a pino logger the auth store uses. */
export interface AuthLog {
  warn(obj: object, msg: string): void;
}

/** What one creds file holds. `corrupt` = not JSON, or JSON that is not Baileys creds. */
export type CredsFileState =
  | { kind: 'missing' }
  | { kind: 'empty' }
  | { kind: 'corrupt' }
  | { kind: 'ok'; text: string; creds: AuthenticationCreds };

export type CredsSource = 'file' | 'backup' | 'fresh';

function isBinary(v: unknown): boolean {
  return v instanceof Uint8Array;
}

function isKeyPair(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const kp = v as Record<string, unknown>;
  return isBinary(kp.public) && isBinary(kp.private);
}

/** True when `v` has the fields Baileys cannot do without. */
function looksLikeCreds(v: unknown): v is AuthenticationCreds {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const c = v as Record<string, unknown>;
  const spk = c.signedPreKey as Record<string, unknown> | undefined;
  return (
    isKeyPair(c.noiseKey) &&
    isKeyPair(c.signedIdentityKey) &&
    typeof spk === 'object' &&
    spk !== null &&
    isKeyPair(spk.keyPair) &&
    typeof c.registrationId === 'number' &&
    typeof c.advSecretKey === 'string'
  );
}

/** Parse creds text (BufferJSON); `undefined` when it is not usable creds. */
export function parseCreds(text: string): AuthenticationCreds | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text, BufferJSON.reviver);
  } catch {
    return undefined; // the SyntaxError quotes the input: never pass it on
  }
  return looksLikeCreds(value) ? value : undefined;
}

export function serializeCreds(creds: AuthenticationCreds): string {
  return JSON.stringify(creds, BufferJSON.replacer);
}

function readError(file: string, err: unknown): WagateError {
  const code = errnoCode(err) ?? 'unknown error';
  return new WagateError(
    'WAGATE_ERR_CREDS',
    `Cannot read ${file} (${code}); fix the file's type and permissions, or run ` +
      '`wagate channels logout` then `wagate channels login`. See `wagate doctor`.',
    { cause: err },
  );
}

/** Read and classify one creds file; a read error other than ENOENT throws WAGATE_ERR_CREDS. */
export async function readCredsFile(file: string): Promise<CredsFileState> {
  let text: string | undefined;
  try {
    text = await readTextIfExists(file);
  } catch (err) {
    throw readError(file, err);
  }
  if (text === undefined) return { kind: 'missing' };
  if (text.trim() === '') return { kind: 'empty' };
  const creds = parseCreds(text);
  return creds ? { kind: 'ok', text, creds } : { kind: 'corrupt' };
}

export interface LoadedCreds {
  creds: AuthenticationCreds;
  source: CredsSource;
}

/** Load the creds of `dir`, restoring from `.bak` when needed (see the file comment). */
export async function loadCreds(dir: string, log: AuthLog): Promise<LoadedCreds> {
  const file = path.join(dir, CREDS_FILE);
  const bakFile = path.join(dir, BACKUP_FILE);
  const current = await readCredsFile(file);
  if (current.kind === 'ok') return { creds: current.creds, source: 'file' };

  const bak = await readCredsFile(bakFile);
  if (bak.kind === 'ok') {
    await writeFileAtomic(file, bak.text);
    log.warn(
      { dir, file, problem: current.kind },
      `creds.json was ${current.kind}; restored it from creds.json.bak`,
    );
    return { creds: bak.creds, source: 'backup' };
  }
  if (current.kind === 'missing' && bak.kind === 'missing') {
    return { creds: initAuthCreds(), source: 'fresh' };
  }
  const what =
    current.kind === 'missing' ? `${file} is missing` : `${file} is ${current.kind === 'empty' ? 'empty' : 'not valid credentials JSON'}`;
  const bakWhat = bak.kind === 'missing' ? 'there is no backup' : `the backup ${bakFile} is ${bak.kind} too`;
  throw new WagateError(
    'WAGATE_ERR_CREDS',
    `${what} and ${bakWhat}. Run \`wagate channels logout\` then \`wagate channels login\` ` +
      `to link again, or restore a good copy of creds.json into ${dir}.`,
  );
}

/**
 * Save serialized creds (`serializeCreds`) as `dir/creds.json`: first copy a current `creds.json` that parses to
 * `.bak` (a corrupt one never overwrites a good backup), then replace `creds.json`.
 * Callers serialize saves per directory.
 */
export async function saveCredsFile(dir: string, text: string): Promise<void> {
  const file = path.join(dir, CREDS_FILE);
  const current = await readCredsFile(file);
  // One batch: both temp files written and fsynced together, then renamed in order
  // (.bak first, so creds.json is never replaced before its backup exists), then one
  // directory fsync. A crash at any point leaves each name old or new, never torn.
  const files = current.kind === 'ok' ? [{ name: BACKUP_FILE, data: current.text }] : [];
  files.push({ name: CREDS_FILE, data: text });
  try {
    await writeFilesAtomic(dir, files);
  } catch (err) {
    throw new WagateError(
      'WAGATE_ERR_CREDS',
      `Cannot save ${file} (${errnoCode(err) ?? 'error'}); check the disk and the directory's permissions.`,
      { cause: err },
    );
  }
}

/** What `hasCreds` and `wagate doctor` want to know about a directory, without writing. */
export interface CredsInspection {
  /** `creds.me` is set in creds.json, or in a restorable `.bak`. */
  linked: boolean;
  /** Where the usable creds are: `file`, `backup` (restorable), or `none`. */
  source: 'file' | 'backup' | 'none';
  /** The linked identity (JID), when linked. Not a secret. */
  meId?: string;
  creds: CredsFileState['kind'];
  backup: CredsFileState['kind'];
}

export async function inspectCreds(dir: string): Promise<CredsInspection> {
  const current = await readCredsFile(path.join(dir, CREDS_FILE));
  const bak = await readCredsFile(path.join(dir, BACKUP_FILE));
  const usable = current.kind === 'ok' ? current : bak.kind === 'ok' ? bak : undefined;
  const source = current.kind === 'ok' ? 'file' : bak.kind === 'ok' ? 'backup' : 'none';
  const meId = usable?.creds.me?.id || undefined;
  return { linked: meId !== undefined, source, meId, creds: current.kind, backup: bak.kind };
}
