/**
 * The real Baileys Signal repository over an in-memory key store, standing in for
 * a linked companion's crypto in unit tests (no socket): what a simulated party
 * encrypts this decrypts, and the other way round.
 */
import {
  addTransactionCapability,
  getNextPreKeys,
  initAuthCreds,
  type AuthenticationCreds,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
} from '@whiskeysockets/baileys';
import { makeLibSignalRepository } from '@whiskeysockets/baileys/lib/Signal/libsignal.js';
import pino from 'pino';
import type { UploadedKeys } from '../../../../src/sim/hub.js';

export function memoryKeyStore(): SignalKeyStore {
  const data = new Map<string, unknown>();
  return {
    async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      const out: { [id: string]: SignalDataTypeMap[T] } = {};
      for (const id of ids) {
        const v = data.get(`${type}/${id}`);
        if (v !== undefined) out[id] = v as SignalDataTypeMap[T];
      }
      return out;
    },
    async set(set: SignalDataSet) {
      for (const [type, byId] of Object.entries(set)) {
        for (const [id, v] of Object.entries(byId ?? {})) {
          if (v === null || v === undefined) data.delete(`${type}/${id}`);
          else data.set(`${type}/${id}`, v);
        }
      }
    },
  };
}

export interface BaileysCrypto {
  creds: AuthenticationCreds;
  repo: ReturnType<typeof makeLibSignalRepository>;
  keys: ReturnType<typeof addTransactionCapability>;
  /** What this companion would upload with its prekey iq. */
  uploaded: UploadedKeys;
}

export async function baileysCrypto(meJid: string, meLid: string, preKeyCount = 5): Promise<BaileysCrypto> {
  const logger = pino({ level: 'silent' });
  const creds = initAuthCreds();
  creds.me = { id: meJid, lid: meLid };
  const keys = addTransactionCapability(memoryKeyStore(), logger, { maxCommitRetries: 1, delayBetweenTriesMs: 1 });
  const { update, preKeys } = await getNextPreKeys({ creds, keys }, preKeyCount);
  Object.assign(creds, update);
  const repo = makeLibSignalRepository({ creds, keys }, logger);
  const uploaded: UploadedKeys = {
    registrationId: creds.registrationId,
    identityKey: creds.signedIdentityKey.public,
    signedPreKey: {
      id: creds.signedPreKey.keyId,
      publicKey: creds.signedPreKey.keyPair.public,
      signature: creds.signedPreKey.signature,
    },
    preKeys: new Map(Object.entries(preKeys).map(([id, pair]) => [Number(id), pair.public])),
  };
  return { creds, repo, keys, uploaded };
}
