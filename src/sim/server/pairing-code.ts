/**
 * Pairing-code linking (Baileys `requestPairingCode`): the client's
 * `companion_hello` (its ephemeral key wrapped with the 8-character code), the
 * phone's `primary_hello` once the code is entered, the client's
 * `companion_finish` (key bundle), then the same `pair-success` as QR linking.
 */
import { randomBytes } from 'node:crypto';
import {
  Curve,
  aesDecryptCTR,
  aesDecryptGCM,
  aesEncryptCTR,
  derivePairingCodeKey,
  getBinaryNodeChild,
  hkdf,
  type BinaryNode,
} from '@whiskeysockets/baileys';
import type { SimConnection } from './connection.js';
import type { SimCompanion } from '../hub.js';
import type { SimPhone } from './phone.js';
import { toUser } from './phone-number.js';
import { iqResult } from './login.js';

interface Hello {
  conn: SimConnection;
  ref: Buffer;
  wrappedEphemeral: Buffer;
  finish?: (node: BinaryNode) => void;
}

export interface PairingCodeDeps {
  nextId(): string;
  nowS(): number;
  pair(conn: SimConnection, phone: SimPhone, client: { identityKey: Buffer; advSecret: Buffer }): Promise<SimCompanion>;
}

function child(node: BinaryNode | undefined, tag: string): Buffer {
  const c = getBinaryNodeChild(node, tag);
  if (!(c?.content instanceof Uint8Array)) throw new Error(`sim: <${tag}> missing in link_code_companion_reg`);
  return Buffer.from(c.content);
}

async function wrapWithCode(code: string, key: Uint8Array): Promise<Buffer> {
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const secret = await derivePairingCodeKey(code, salt);
  return Buffer.concat([salt, iv, aesEncryptCTR(key, secret, iv)]);
}

async function unwrapWithCode(code: string, wrapped: Buffer): Promise<Buffer> {
  const secret = await derivePairingCodeKey(code, wrapped.subarray(0, 32));
  return aesDecryptCTR(wrapped.subarray(48, 80), secret, wrapped.subarray(32, 48));
}

export class PairingCodeFlow {
  /** Pending `companion_hello`s by phone user part. */
  private readonly hellos = new Map<string, Hello>();
  /** `enterCode` calls that came before the client's hello arrived. */
  private readonly helloWaiters = new Map<string, () => void>();

  constructor(private readonly deps: PairingCodeDeps) {}

  /** Takes the client's `link_code_companion_reg` iqs; false for anything else. */
  handle(conn: SimConnection, node: BinaryNode): boolean {
    const reg = getBinaryNodeChild(node, 'link_code_companion_reg');
    if (node.tag !== 'iq' || node.attrs.xmlns !== 'md' || !reg) return false;
    const user = toUser(reg.attrs.jid ?? '');
    if (reg.attrs.stage === 'companion_hello') {
      if (!child(reg, 'companion_server_auth_key_pub').equals(conn.clientStatic)) {
        const refused = iqResult(node, [{ tag: 'error', attrs: { code: '400', text: 'bad-request' } }]);
        conn.send({ ...refused, attrs: { ...refused.attrs, type: 'error' } });
        return true;
      }
      const ref = randomBytes(16);
      this.hellos.set(user, { conn, ref, wrappedEphemeral: child(reg, 'link_code_pairing_wrapped_companion_ephemeral_pub') });
      this.helloWaiters.get(user)?.();
      conn.send(iqResult(node, [{ tag: 'link_code_companion_reg', attrs: {}, content: [{ tag: 'link_code_pairing_ref', attrs: {}, content: ref }] }]));
      return true;
    }
    if (reg.attrs.stage === 'companion_finish') {
      conn.send(iqResult(node));
      const hello = this.hellos.get(user);
      if (hello?.conn === conn) hello.finish?.(reg);
      return true;
    }
    return false;
  }

  forget(conn: SimConnection): void {
    for (const [user, hello] of this.hellos) if (hello.conn === conn) this.hellos.delete(user);
  }

  /** The hello of `user`'s client; waits up to `timeoutMs` for it (the client sends it without awaiting). */
  private async hello(user: string, timeoutMs: number): Promise<Hello | undefined> {
    if (!this.hellos.has(user)) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.helloWaiters.set(user, done);
      });
      this.helloWaiters.delete(user);
    }
    const hello = this.hellos.get(user);
    return hello && !hello.conn.closed ? hello : undefined;
  }

  /**
   * The user typed `code` into `phone`; resolves once the client is linked. Waits
   * up to `helloWaitMs` for the client's hello, then `timeoutMs` for its finish.
   */
  async enterCode(phone: SimPhone, code: string, helloWaitMs = 1000, timeoutMs = 10_000): Promise<SimCompanion> {
    const hello = await this.hello(phone.user, helloWaitMs);
    if (!hello) throw new Error(`sim: no client asked for a pairing code for ${phone.user}`);
    const companionEphemeral = await unwrapWithCode(code, hello.wrappedEphemeral);
    const primaryEphemeral = Curve.generateKeyPair();
    const finished = new Promise<BinaryNode>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('sim: client did not finish code pairing')), timeoutMs);
      hello.finish = (node) => {
        clearTimeout(timer);
        resolve(node);
      };
    });
    hello.conn.send({
      tag: 'notification',
      attrs: { from: 's.whatsapp.net', type: 'link_code_companion_reg', id: this.deps.nextId(), t: String(this.deps.nowS()) },
      content: [
        {
          tag: 'link_code_companion_reg',
          attrs: { stage: 'primary_hello' },
          content: [
            { tag: 'link_code_pairing_ref', attrs: {}, content: hello.ref },
            { tag: 'primary_identity_pub', attrs: {}, content: phone.accountKey.public },
            {
              tag: 'link_code_pairing_wrapped_primary_ephemeral_pub',
              attrs: {},
              content: await wrapWithCode(code, primaryEphemeral.public),
            },
          ],
        },
      ],
    });
    const reg = await finished;
    this.hellos.delete(phone.user);

    const identityKey = child(reg, 'companion_identity_public');
    const wrappedBundle = child(reg, 'link_code_pairing_wrapped_key_bundle');
    const companionShared = Curve.sharedKey(primaryEphemeral.private, companionEphemeral);
    const bundleKey = hkdf(companionShared, 32, {
      salt: wrappedBundle.subarray(0, 32),
      info: 'link_code_pairing_key_bundle_encryption_key',
    });
    let bundle: Buffer;
    try {
      bundle = aesDecryptGCM(wrappedBundle.subarray(44), Buffer.from(bundleKey), wrappedBundle.subarray(32, 44), Buffer.alloc(0));
    } catch {
      throw new Error('sim: wrong pairing code');
    }
    if (!bundle.subarray(0, 32).equals(identityKey) || !bundle.subarray(32, 64).equals(Buffer.from(phone.accountKey.public))) {
      throw new Error('sim: pairing key bundle names other identities');
    }
    const identityShared = Curve.sharedKey(phone.accountKey.private, identityKey);
    const advSecret = Buffer.from(
      hkdf(Buffer.concat([companionShared, identityShared, bundle.subarray(64)]), 32, { info: 'adv_secret' }),
    );
    return this.deps.pair(hello.conn, phone, { identityKey, advSecret });
  }
}
