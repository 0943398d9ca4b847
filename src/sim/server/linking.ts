/**
 * QR linking: the `pair-device` refs a new client turns into QR codes, and the
 * simulated primary phone that "scans" one and produces a correctly signed
 * `pair-success`, checks the client's `pair-device-sign`, then asks for a restart (515).
 */
import { randomBytes, randomInt } from 'node:crypto';
import {
  Curve,
  WA_ADV_ACCOUNT_SIG_PREFIX,
  WA_ADV_DEVICE_SIG_PREFIX,
  getBinaryNodeChild,
  hmacSign,
  proto,
  type BinaryNode,
} from '@whiskeysockets/baileys';
import { verifySignature } from 'libsignal/src/curve.js';
import type { SimConnection } from './connection.js';
import { PairingCodeFlow } from './pairing-code.js';
import { toUser } from './phone-number.js';
import { streamError } from './faults.js';
import type { CompanionRecord, Hub } from './hub-impl.js';
import type { SimCompanion } from '../hub.js';
import type { SimPhone } from './phone.js';

export type { SimPhone } from './phone.js';

export interface QrData {
  ref: string;
  noiseKey: Buffer;
  identityKey: Buffer;
  advSecret: Buffer;
  platform: string;
}

/** Parses `[https://wa.me/settings/linked_devices#]ref,noise,identity,adv,platform`. */
export function parseQr(qr: string): QrData {
  const body = qr.includes('#') ? qr.slice(qr.indexOf('#') + 1) : qr;
  const [ref, noise, identity, adv, platform] = body.split(',');
  if (!ref || !noise || !identity || !adv) throw new Error('sim: not a WhatsApp linking QR');
  return {
    ref,
    noiseKey: Buffer.from(noise, 'base64'),
    identityKey: Buffer.from(identity, 'base64'),
    advSecret: Buffer.from(adv, 'base64'),
    platform: platform ?? '',
  };
}

export interface LinkerDeps {
  hub: Hub;
  nowS(): number;
  /** How many refs each new client gets (it shows one QR per ref, then gives up with 408). */
  qrRefs: number;
  /** A number was linked again: its previous device (if any) is being replaced. */
  onRelink(user: string): void;
}

export class Linker {
  private readonly byRef = new Map<string, SimConnection>();
  private readonly phones = new Map<string, SimPhone>();
  private lidCounter = 0;
  private readonly nextDevice = new Map<string, number>();
  /** The device name (DeviceProps `os`) each linking client announced in its hello. */
  private readonly deviceNames = new WeakMap<SimConnection, string>();

  private readonly codes: PairingCodeFlow;

  constructor(private readonly deps: LinkerDeps) {
    this.codes = new PairingCodeFlow({
      nextId: () => deps.hub.nextId(),
      nowS: deps.nowS,
      pair: (conn, phone, client) => this.pair(conn, phone, client),
    });
  }

  /** Takes the linking iqs of a not yet logged-in client (pairing code); false for others. */
  handle(conn: SimConnection, node: BinaryNode): boolean {
    return this.codes.handle(conn, node);
  }

  /** A new client (no creds) connected: hand it its refs. */
  begin(conn: SimConnection, pairing?: proto.ClientPayload.IDevicePairingRegistrationData | null): void {
    const props = pairing?.deviceProps ? proto.DeviceProps.decode(pairing.deviceProps) : undefined;
    if (props?.os) this.deviceNames.set(conn, props.os);
    const refs = Array.from({ length: this.deps.qrRefs }, () => `2@${randomBytes(24).toString('base64')}`);
    for (const ref of refs) this.byRef.set(ref, conn);
    conn.send({
      tag: 'iq',
      attrs: { from: 's.whatsapp.net', type: 'set', id: this.deps.hub.nextId(), xmlns: 'md' },
      content: [
        {
          tag: 'pair-device',
          attrs: {},
          content: refs.map((ref) => ({ tag: 'ref', attrs: {}, content: Buffer.from(ref) })),
        },
      ],
    });
  }

  /** Forgets the refs of a closed connection. */
  forget(conn: SimConnection): void {
    this.codes.forget(conn);
    for (const [ref, c] of this.byRef) if (c === conn) this.byRef.delete(ref);
  }

  phone(e164: string): SimPhone {
    const user = toUser(e164);
    if (!/^\d{5,16}$/.test(user)) throw new Error(`sim: not a phone number: ${e164}`);
    let phone = this.phones.get(user);
    if (!phone) {
      this.lidCounter += 1;
      const created: SimPhone = {
        user,
        lidUser: String(100_000_000_000_000 + this.lidCounter),
        accountKey: Curve.generateKeyPair(),
        scanQr: (qr) => this.scan(created, qr),
        enterPairingCode: (code, helloWaitMs) => this.codes.enterCode(created, code, helloWaitMs),
      };
      phone = created;
      this.phones.set(user, phone);
    }
    return phone;
  }

  private async scan(phone: SimPhone, qr: string): Promise<SimCompanion> {
    const data = parseQr(qr);
    const conn = this.byRef.get(data.ref);
    if (!conn || conn.closed) throw new Error('sim: QR ref unknown or expired');
    if (!conn.clientStatic.equals(data.noiseKey)) throw new Error('sim: QR noise key does not match the client');
    return this.pair(conn, phone, data);
  }

  /**
   * The phone accepted the client (QR scanned or pairing code entered): sends a
   * signed `pair-success`, checks the client's `pair-device-sign`, registers the
   * companion and asks the client to restart (515).
   */
  async pair(
    conn: SimConnection,
    phone: SimPhone,
    client: { identityKey: Buffer; advSecret: Buffer },
  ): Promise<SimCompanion> {
    this.forget(conn);
    const device = (this.nextDevice.get(phone.user) ?? 0) + 1;
    this.nextDevice.set(phone.user, device);

    const details = proto.ADVDeviceIdentity.encode({
      rawId: randomInt(1, 2 ** 31),
      timestamp: this.deps.nowS(),
      keyIndex: device,
    }).finish();
    const accountSignature = Curve.sign(
      phone.accountKey.private,
      Buffer.concat([WA_ADV_ACCOUNT_SIG_PREFIX, details, client.identityKey]),
    );
    const signed = proto.ADVSignedDeviceIdentity.encode({
      details,
      accountSignatureKey: phone.accountKey.public,
      accountSignature,
    }).finish();
    const identity = proto.ADVSignedDeviceIdentityHMAC.encode({
      details: signed,
      hmac: hmacSign(signed, client.advSecret),
    }).finish();

    const jid = `${phone.user}:${device}@s.whatsapp.net`;
    const lid = `${phone.lidUser}:${device}@lid`;
    const answer = await conn.query({
      tag: 'iq',
      attrs: { from: 's.whatsapp.net', type: 'set', id: this.deps.hub.nextId(), xmlns: 'md', t: String(this.deps.nowS()) },
      content: [
        {
          tag: 'pair-success',
          attrs: {},
          content: [
            { tag: 'device-identity', attrs: {}, content: identity },
            { tag: 'platform', attrs: { name: 'android' } },
            { tag: 'device', attrs: { jid, lid } },
          ],
        },
      ],
    });
    verifyPairDeviceSign(answer, details, client.identityKey, phone.accountKey.public);

    const rec: CompanionRecord = {
      user: phone.user,
      device,
      jid,
      lidUser: phone.lidUser,
      lid,
      online: false,
      iqs: {},
      noiseKey: conn.clientStatic,
      identityKey: client.identityKey,
      firstLoginPending: true,
      ...(this.deviceNames.has(conn) ? { deviceName: this.deviceNames.get(conn) } : {}),
    };
    if (this.deps.hub.record(phone.user)) this.deps.onRelink(phone.user);
    this.deps.hub.addCompanion(rec);
    conn.end(streamError(515));
    return rec;
  }
}

/** Checks the client's `<pair-device-sign>`: its device signature over our details. */
function verifyPairDeviceSign(answer: BinaryNode, details: Uint8Array, identityKey: Buffer, accountPub: Uint8Array): void {
  const sign = getBinaryNodeChild(answer, 'pair-device-sign');
  const node = getBinaryNodeChild(sign, 'device-identity');
  if (!(node?.content instanceof Uint8Array)) throw new Error('sim: client sent no pair-device-sign');
  const signed = proto.ADVSignedDeviceIdentity.decode(node.content);
  if (!signed.details || !Buffer.from(signed.details).equals(Buffer.from(details))) {
    throw new Error('sim: pair-device-sign carries other device details');
  }
  const msg = Buffer.concat([WA_ADV_DEVICE_SIG_PREFIX, details, identityKey, accountPub]);
  // Not Baileys' Curve.verify: in rc14 it returns true for any signature.
  const valid = signed.deviceSignature && verifySignature(Buffer.concat([Buffer.from([5]), identityKey]), msg, signed.deviceSignature);
  if (!valid) {
    throw new Error('sim: pair-device-sign has an invalid device signature');
  }
}
