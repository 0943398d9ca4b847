/**
 * Reading Signal key bundles out of stanzas: a companion's prekey upload (server
 * half, login.ts) and the bundle in a retry receipt (world half: a contact resends).
 */
import { getBinaryNodeChild, type BinaryNode } from '@whiskeysockets/baileys';
import type { UploadedKeys } from './hub.js';

export function bytes(node: BinaryNode | undefined, name: string): Buffer {
  const child = getBinaryNodeChild(node, name);
  if (!(child?.content instanceof Uint8Array)) throw new Error(`sim: <${name}> missing in a key bundle`);
  return Buffer.from(child.content);
}

export function uint(buf: Buffer): number {
  return buf.reduce((n, b) => n * 256 + b, 0);
}

export function signedPreKey(skey: BinaryNode | undefined): UploadedKeys['signedPreKey'] {
  return { id: uint(bytes(skey, 'id')), publicKey: bytes(skey, 'value'), signature: bytes(skey, 'signature') };
}

/**
 * Reads the key bundle a companion puts in a retry receipt (`<registration>` and
 * `<keys><identity/><key/><skey/></keys>`): what the sender builds a new session from.
 */
export function parseRetryKeys(receipt: BinaryNode): UploadedKeys {
  const keys = getBinaryNodeChild(receipt, 'keys');
  const key = getBinaryNodeChild(keys, 'key');
  return {
    registrationId: uint(bytes(receipt, 'registration')),
    identityKey: bytes(keys, 'identity'),
    signedPreKey: signedPreKey(getBinaryNodeChild(keys, 'skey')),
    preKeys: key ? new Map([[uint(bytes(key, 'id')), bytes(key, 'value')]]) : new Map(),
  };
}

