/**
 * The two pairing store files (SPEC §1) and their on-disk shape:
 *
 *   <state>/credentials/whatsapp-pairing.json    {"version":1,"requests":[{code,sender,accountId,createdAt,expiresAt,name?}]}
 *   <state>/credentials/whatsapp-allowFrom.json  {"version":1,"allowFrom":["+15551234567", "123@lid", …]}
 *
 * A missing file is an empty store. A file that does not parse is an error
 * (WAGATE_ERR_PAIRING_STORE), never "empty": a later write would erase approvals.
 * Writes are atomic and 0600 (`writeFileAtomic`); the dir is created 0700.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { stateDir as resolveStateDir, writeFileAtomic } from '../config/index.js';
import { WagateError } from '../errors.js';
import { allowFromStorePath, pairingLockFile, pairingStorePath } from '../state-layout.js';

export interface PairingRequest {
  /** The 8-character code, upper case. */
  code: string;
  /** Who asked: E.164 (`+15551234567`) or a LID JID when unresolved. */
  sender: string;
  /** The account the sender wrote to. */
  accountId: string;
  /** WhatsApp display name, when the message carried one. */
  name?: string;
  createdAt: number;
  expiresAt: number;
}

const RequestSchema = z.object({
  code: z.string(),
  sender: z.string(),
  accountId: z.string(),
  name: z.string().optional(),
  createdAt: z.number(),
  expiresAt: z.number(),
});
const PendingSchema = z.object({ version: z.literal(1), requests: z.array(RequestSchema) });
const AllowSchema = z.object({ version: z.literal(1), allowFrom: z.array(z.string()) });

export interface StorePaths {
  pending: string;
  allowFrom: string;
  lock: string;
}

/** The store files under a state dir. */
export function storePaths(stateDir: string): StorePaths {
  const dir = resolveStateDir({ WAGATE_HOME: stateDir });
  return { pending: pairingStorePath(dir), allowFrom: allowFromStorePath(dir), lock: pairingLockFile(dir) };
}

async function readJson<T>(file: string, schema: z.ZodType<T>, empty: T): Promise<T> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return empty;
    throw new WagateError('WAGATE_ERR_PAIRING_STORE', `Cannot read the pairing store ${file}: ${(err as Error).message}`, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new WagateError('WAGATE_ERR_PAIRING_STORE', `The pairing store ${file} is not valid JSON; fix or remove it.`, { cause: err });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(root)';
    throw new WagateError('WAGATE_ERR_PAIRING_STORE', `The pairing store ${file} has an unexpected shape at ${where}; fix or remove it.`);
  }
  return parsed.data;
}

export async function readPending(paths: StorePaths): Promise<PairingRequest[]> {
  return (await readJson(paths.pending, PendingSchema, { version: 1 as const, requests: [] })).requests;
}

export async function readAllowFrom(paths: StorePaths): Promise<string[]> {
  return (await readJson(paths.allowFrom, AllowSchema, { version: 1 as const, allowFrom: [] })).allowFrom;
}

export async function ensureDir(paths: StorePaths): Promise<void> {
  await fs.promises.mkdir(path.dirname(paths.pending), { recursive: true, mode: 0o700 });
}

export async function writePending(paths: StorePaths, requests: PairingRequest[]): Promise<void> {
  await writeFileAtomic(paths.pending, `${JSON.stringify({ version: 1, requests }, null, 2)}\n`, 0o600);
}

export async function writeAllowFrom(paths: StorePaths, allowFrom: string[]): Promise<void> {
  await writeFileAtomic(paths.allowFrom, `${JSON.stringify({ version: 1, allowFrom }, null, 2)}\n`, 0o600);
}
