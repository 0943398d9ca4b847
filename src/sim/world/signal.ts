/**
 * A simulated Signal party (a contact's device or the primary phone): its own
 * registration id, identity key, signed prekey and one-time prekeys, with
 * in-memory session and sender-key stores.
 *
 * 1:1 sessions use npm `libsignal` (the package Baileys uses); group sender keys
 * use Baileys' own group cipher (`lib/Signal/Group`). Plaintexts here are the
 * padded bytes (`encodeWAMessage` pads; `unpadRandomMax16` strips) — see
 * messages.ts for the proto layer.
 */
import { Curve, generateRegistrationId, signedKeyPair, type KeyPair } from '@whiskeysockets/baileys';
import {
  GroupCipher,
  GroupSessionBuilder,
  SenderKeyDistributionMessage,
  SenderKeyName,
  SenderKeyRecord,
} from '@whiskeysockets/baileys/lib/Signal/Group/index.js';
import { ProtocolAddress, SessionBuilder, SessionCipher, SessionRecord, type SignalStorage } from 'libsignal';
import type { UploadedKeys } from '../hub.js';

export type EncType = 'pkmsg' | 'msg';

/** What the client's `iq xmlns=encrypt type=get <key>` needs for one device. */
export interface PreKeyBundle {
  registrationId: number;
  /** 32-byte public identity key (no 0x05 prefix). */
  identityKey: Uint8Array;
  signedPreKey: { id: number; publicKey: Uint8Array; signature: Uint8Array };
  preKey: { id: number; publicKey: Uint8Array };
}

const DJB_TYPE = Buffer.from([5]);
const withType = (pub: Uint8Array): Buffer => (pub.length === 33 ? Buffer.from(pub) : Buffer.concat([DJB_TYPE, pub]));

/** `15550000001:1@s.whatsapp.net` → libsignal address `15550000001.1` (`_1` suffix for LIDs, as Baileys). */
export function signalAddress(jid: string): ProtocolAddress {
  const [userPart = '', server = ''] = jid.split('@');
  const [user = '', device = '0'] = userPart.split(':');
  const name = server === 'lid' ? `${user}_1` : user;
  return new ProtocolAddress(name, Number(device));
}

export class SignalParty {
  readonly registrationId: number;
  readonly identity: KeyPair;
  private readonly signedPre: ReturnType<typeof signedKeyPair>;
  private readonly preKeys = new Map<number, KeyPair>();
  private nextPreKeyId = 1;
  private readonly sessions = new Map<string, Uint8Array>();
  private readonly senderKeys = new Map<string, SenderKeyRecord>();
  /** Serialises cipher operations (libsignal sessions are not re-entrant). */
  private chain: Promise<unknown> = Promise.resolve();

  constructor() {
    this.registrationId = generateRegistrationId();
    this.identity = Curve.generateKeyPair();
    this.signedPre = signedKeyPair(this.identity, 1);
  }

  /** A prekey bundle with a fresh one-time prekey (each fetch consumes one). */
  bundle(): PreKeyBundle {
    const id = this.nextPreKeyId++;
    const pair = Curve.generateKeyPair();
    this.preKeys.set(id, pair);
    return {
      registrationId: this.registrationId,
      identityKey: this.identity.public,
      signedPreKey: {
        id: this.signedPre.keyId,
        publicKey: this.signedPre.keyPair.public,
        signature: this.signedPre.signature,
      },
      preKey: { id, publicKey: pair.public },
    };
  }

  /** Lose every 1:1 session (a phone reinstalled, or storage lost): the next message fails to decrypt. */
  forgetSessions(): void {
    this.sessions.clear();
  }

  /** Lose the session with one device (it asked for a retry: it could not decrypt). */
  forgetSession(remoteJid: string): void {
    this.sessions.delete(signalAddress(remoteJid).toString());
  }

  hasSession(remoteJid: string): boolean {
    const raw = this.sessions.get(signalAddress(remoteJid).toString());
    return !!raw && SessionRecord.deserialize(raw).haveOpenSession();
  }

  /**
   * Encrypt padded bytes for a remote device. Without an open session one is
   * built from `keys` (the companion's upload; one one-time prekey is consumed),
   * so the first message is a `pkmsg` and later ones `msg`.
   */
  encrypt(remoteJid: string, padded: Uint8Array, keys?: UploadedKeys): Promise<{ type: EncType; ciphertext: Buffer }> {
    return this.serial(async () => {
      const addr = signalAddress(remoteJid);
      if (!this.hasSession(remoteJid)) {
        if (!keys) throw new Error(`sim signal: no session with ${remoteJid} and no keys to build one`);
        const first = keys.preKeys.entries().next();
        let preKey: { keyId: number; publicKey: Uint8Array } | undefined;
        if (!first.done) {
          const [keyId, pub] = first.value;
          keys.preKeys.delete(keyId);
          preKey = { keyId, publicKey: withType(pub) };
        }
        const session = {
          registrationId: keys.registrationId,
          identityKey: withType(keys.identityKey),
          signedPreKey: {
            keyId: keys.signedPreKey.id,
            publicKey: withType(keys.signedPreKey.publicKey),
            signature: keys.signedPreKey.signature,
          },
          preKey,
        };
        // libsignal accepts an absent one-time prekey at runtime; its .d.ts says otherwise.
        await new SessionBuilder(this.storage(), addr).initOutgoing(session as Parameters<SessionBuilder['initOutgoing']>[0]);
      }
      const { type, body } = await new SessionCipher(this.storage(), addr).encrypt(padded);
      return { type: type === 3 ? 'pkmsg' : 'msg', ciphertext: Buffer.from(body, 'binary') };
    });
  }

  /** Decrypt a `pkmsg`/`msg` from a remote device; returns the padded plaintext. */
  decrypt(remoteJid: string, type: EncType, ciphertext: Uint8Array): Promise<Buffer> {
    return this.serial(() => {
      const cipher = new SessionCipher(this.storage(), signalAddress(remoteJid));
      return type === 'pkmsg' ? cipher.decryptPreKeyWhisperMessage(ciphertext) : cipher.decryptWhisperMessage(ciphertext);
    });
  }

  /**
   * Encrypt for a group as `selfJid`: returns the `skmsg` ciphertext and the
   * serialized sender key distribution message members need first.
   */
  groupEncrypt(groupJid: string, selfJid: string, padded: Uint8Array): Promise<{ ciphertext: Uint8Array; skdm: Uint8Array }> {
    return this.serial(async () => {
      const name = new SenderKeyName(groupJid, signalAddress(selfJid));
      const skdm = await new GroupSessionBuilder(this.senderKeyStore()).create(name);
      const ciphertext = await new GroupCipher(this.senderKeyStore(), name).encrypt(padded);
      return { ciphertext, skdm: skdm.serialize() };
    });
  }

  /** Take in another member's sender key distribution message. */
  processSenderKey(groupJid: string, authorJid: string, skdm: Uint8Array): Promise<void> {
    return this.serial(async () => {
      const name = new SenderKeyName(groupJid, signalAddress(authorJid));
      const msg = new SenderKeyDistributionMessage(null, null, null, null, skdm);
      await new GroupSessionBuilder(this.senderKeyStore()).process(name, msg);
    });
  }

  /** Decrypt an `skmsg`; returns the padded plaintext. */
  groupDecrypt(groupJid: string, authorJid: string, ciphertext: Uint8Array): Promise<Uint8Array> {
    return this.serial(() => {
      const name = new SenderKeyName(groupJid, signalAddress(authorJid));
      return new GroupCipher(this.senderKeyStore(), name).decrypt(ciphertext);
    });
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.chain.then(op, op);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private storage(): SignalStorage {
    const ourIdentity = { privKey: Buffer.from(this.identity.private), pubKey: withType(this.identity.public) };
    return {
      loadSession: async (id) => {
        const raw = this.sessions.get(id);
        return raw ? SessionRecord.deserialize(raw) : undefined;
      },
      storeSession: async (id, record) => {
        this.sessions.set(id, record.serialize());
      },
      isTrustedIdentity: () => true,
      loadPreKey: async (id) => {
        const pair = this.preKeys.get(Number(id));
        return pair ? { privKey: Buffer.from(pair.private), pubKey: Buffer.from(pair.public) } : undefined;
      },
      removePreKey: (id) => {
        this.preKeys.delete(id);
      },
      loadSignedPreKey: () => ({
        privKey: Buffer.from(this.signedPre.keyPair.private),
        pubKey: Buffer.from(this.signedPre.keyPair.public),
      }),
      getOurRegistrationId: () => this.registrationId,
      getOurIdentity: () => ourIdentity,
    };
  }

  private senderKeyStore() {
    return {
      loadSenderKey: async (name: SenderKeyName) => {
        return this.senderKeys.get(name.toString()) ?? new SenderKeyRecord();
      },
      storeSenderKey: async (name: SenderKeyName, record: SenderKeyRecord) => {
        this.senderKeys.set(name.toString(), record);
      },
    };
  }
}
