/** Shared helpers for the auth store tests: linked creds, a recording logger. */
import { stat } from 'node:fs/promises';
import { openAuthStore, type AuthLog } from '../../../src/whatsapp/auth-store.js';

export const ME = '15550001111:7@s.whatsapp.net';

export interface RecordingLog extends AuthLog {
  warnings: Array<{ obj: object; msg: string }>;
}

export function recordingLog(): RecordingLog {
  const warnings: RecordingLog['warnings'] = [];
  return { warnings, warn: (obj, msg) => void warnings.push({ obj, msg }) };
}

/** Permission bits of a path, e.g. 0o600. */
export async function modeOf(p: string): Promise<number> {
  return (await stat(p)).mode & 0o777;
}

/**
 * Make `dir` hold linked creds (`me` set) saved twice, so both creds.json and a good
 * creds.json.bak exist. Returns the identity key (base64) for comparisons.
 */
export async function makeLinkedDir(
  dir: string,
  me: string = ME,
): Promise<{ identityKey: string }> {
  const store = await openAuthStore({ dir, log: recordingLog() });
  store.state.creds.me = { id: me, name: 'Test' };
  await store.saveCreds();
  await store.saveCreds();
  return { identityKey: identityKeyOf(store.state.creds) };
}

export function identityKeyOf(creds: { signedIdentityKey: { public: Uint8Array } }): string {
  return Buffer.from(creds.signedIdentityKey.public).toString('base64');
}
