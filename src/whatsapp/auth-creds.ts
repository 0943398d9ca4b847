/**
 * Baileys creds as text (parse, check, serialize: used by the store-backed auth state),
 * and the `creds.json` / `creds.json.bak` files of an old auth directory (read by the
 * importer, `wagate doctor` and offline status; SPEC §12). A read error other than
 * ENOENT is `WAGATE_ERR_CREDS`, never "no creds".
 *
 * Nothing here logs or reports file contents: they are secrets.
 */
import path from 'node:path';
import type { AuthenticationCreds } from '@whiskeysockets/baileys';
import { BufferJSON } from './baileys-auth.js';
import { WagateError } from '../errors.js';
import { errnoCode, readTextIfExists } from './auth-files.js';

export const CREDS_FILE = 'creds.json';
export const BACKUP_FILE = 'creds.json.bak';

/** The subset of a pino logger the auth state and the importer use. */
export interface AuthLog {
  warn(obj: object, msg: string): void;
}

/** What one creds file holds. `corrupt` = not JSON, or JSON that is not Baileys creds. */
export type CredsFileState =
  | { kind: 'missing' }
  | { kind: 'empty' }
  | { kind: 'corrupt' }
  | { kind: 'ok'; text: string; creds: AuthenticationCreds };

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
