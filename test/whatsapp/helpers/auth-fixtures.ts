/** Shared helpers for the auth tests: an old auth dir with linked creds, a recording logger. */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AuthLog } from '../../../src/whatsapp/auth-creds.js';
import { serializeCreds } from '../../../src/whatsapp/auth-creds.js';
import { initAuthCreds } from '../../../src/whatsapp/baileys-auth.js';

export const ME = '15550001111:7@s.whatsapp.net';

export interface RecordingLog extends AuthLog {
  warnings: Array<{ obj: object; msg: string }>;
  infos: Array<{ obj: object; msg: string }>;
  info(obj: object, msg: string): void;
}

export function recordingLog(): RecordingLog {
  const warnings: RecordingLog['warnings'] = [];
  const infos: RecordingLog['infos'] = [];
  return {
    warnings,
    infos,
    warn: (obj: object, msg: string) => void warnings.push({ obj, msg }),
    info: (obj: object, msg: string) => void infos.push({ obj, msg }),
  };
}

/** Permission bits of a path, e.g. 0o600. */
export async function modeOf(p: string): Promise<number> {
  return (await stat(p)).mode & 0o777;
}

/**
 * Make `dir` an old auth dir (Baileys' file layout) holding linked creds (`me` set) in
 * both creds.json and creds.json.bak. Returns the identity key (base64) for comparisons.
 */
export async function makeLinkedDir(dir: string, me: string = ME): Promise<{ identityKey: string }> {
  const creds = initAuthCreds();
  creds.me = { id: me, name: 'Test' };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const text = serializeCreds(creds);
  await writeFile(path.join(dir, 'creds.json.bak'), text, { mode: 0o600 });
  await writeFile(path.join(dir, 'creds.json'), text, { mode: 0o600 });
  return { identityKey: identityKeyOf(creds) };
}

export function identityKeyOf(creds: { signedIdentityKey: { public: Uint8Array } }): string {
  return Buffer.from(creds.signedIdentityKey.public).toString('base64');
}
