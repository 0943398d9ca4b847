/**
 * Server side of WhatsApp's Noise_XX_25519_AESGCM_SHA256 handshake and the
 * transport framing (3-byte big-endian length + payload; the client's first frame
 * is preceded by the `WA 6 3` header). Mirrors Baileys' `Utils/noise-handler.js`.
 */
import {
  Curve,
  NOISE_MODE,
  NOISE_WA_HEADER,
  aesDecryptGCM,
  aesEncryptGCM,
  hkdf,
  proto,
  sha256,
  type KeyPair,
} from '@whiskeysockets/baileys';

const EMPTY = Buffer.alloc(0);

function iv(counter: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt32BE(counter, 8);
  return out;
}

/** Splits a byte stream into frames; strips the client's intro header once. */
export class FrameReader {
  private buf: Buffer = EMPTY;
  private sawHeader = false;

  push(data: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
    if (!this.sawHeader) {
      if (this.buf.length < NOISE_WA_HEADER.length) return [];
      if (!this.buf.subarray(0, NOISE_WA_HEADER.length).equals(NOISE_WA_HEADER)) {
        throw new Error('client did not send the WA noise header');
      }
      this.buf = this.buf.subarray(NOISE_WA_HEADER.length);
      this.sawHeader = true;
    }
    const frames: Buffer[] = [];
    while (this.buf.length >= 3) {
      const size = (this.buf[0]! << 16) | (this.buf[1]! << 8) | this.buf[2]!;
      if (this.buf.length < size + 3) break;
      frames.push(this.buf.subarray(3, size + 3));
      this.buf = this.buf.subarray(size + 3);
    }
    return frames;
  }
}

export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(3 + payload.length);
  out[0] = (payload.length >>> 16) & 0xff;
  out[1] = (payload.length >>> 8) & 0xff;
  out[2] = payload.length & 0xff;
  out.set(payload, 3);
  return out;
}

/** Symmetric transport after the handshake: separate keys and counters per direction. */
export class NoiseTransport {
  private readCounter = 0;
  private writeCounter = 0;
  constructor(
    private readonly encKey: Buffer,
    private readonly decKey: Buffer,
  ) {}
  encrypt(plain: Uint8Array): Buffer {
    return aesEncryptGCM(plain, this.encKey, iv(this.writeCounter++), EMPTY);
  }
  decrypt(cipher: Uint8Array): Buffer {
    return aesDecryptGCM(cipher, this.decKey, iv(this.readCounter++), EMPTY);
  }
}

export interface HandshakeResult {
  transport: NoiseTransport;
  /** The client's static Noise public key (its `creds.noiseKey.public`). */
  clientStatic: Buffer;
  payload: proto.ClientPayload;
}

/** One handshake, server role. Call `hello` with the client hello frame, then `finish`. */
export class NoiseServerHandshake {
  private hash: Buffer = Buffer.from(NOISE_MODE);
  private salt: Buffer = this.hash;
  private key: Buffer = this.hash;
  private counter = 0;
  private readonly ephemeral: KeyPair = Curve.generateKeyPair();

  constructor(
    private readonly serverStatic: KeyPair,
    private readonly certChain: Uint8Array,
  ) {
    this.authenticate(NOISE_WA_HEADER);
  }

  private authenticate(data: Uint8Array): void {
    this.hash = sha256(Buffer.concat([this.hash, data]));
  }

  private mix(data: Uint8Array): void {
    const out = hkdf(Buffer.from(data), 64, { salt: this.salt, info: '' });
    this.salt = Buffer.from(out.subarray(0, 32));
    this.key = Buffer.from(out.subarray(32));
    this.counter = 0;
  }

  private encrypt(plain: Uint8Array): Buffer {
    const out = aesEncryptGCM(plain, this.key, iv(this.counter++), this.hash);
    this.authenticate(out);
    return out;
  }

  private decrypt(cipher: Uint8Array): Buffer {
    const out = aesDecryptGCM(cipher, this.key, iv(this.counter++), this.hash);
    this.authenticate(cipher);
    return out;
  }

  /** Takes the client hello frame; returns the server hello frame payload. */
  hello(clientHelloFrame: Uint8Array): Uint8Array {
    const msg = proto.HandshakeMessage.decode(clientHelloFrame);
    const clientEphemeral = msg.clientHello?.ephemeral;
    if (!clientEphemeral || clientEphemeral.length !== 32) throw new Error('bad client hello');
    this.clientEphemeral = Buffer.from(clientEphemeral);
    this.authenticate(this.clientEphemeral);
    this.authenticate(this.ephemeral.public);
    this.mix(Curve.sharedKey(this.ephemeral.private, this.clientEphemeral));
    const encStatic = this.encrypt(this.serverStatic.public);
    this.mix(Curve.sharedKey(this.serverStatic.private, this.clientEphemeral));
    const encPayload = this.encrypt(this.certChain);
    return proto.HandshakeMessage.encode({
      serverHello: { ephemeral: this.ephemeral.public, static: encStatic, payload: encPayload },
    }).finish();
  }

  private clientEphemeral: Buffer = EMPTY;

  /** Takes the client finish frame; returns the transport and the client payload. */
  finish(clientFinishFrame: Uint8Array): HandshakeResult {
    const msg = proto.HandshakeMessage.decode(clientFinishFrame);
    const fin = msg.clientFinish;
    if (!fin?.static || !fin.payload) throw new Error('bad client finish');
    const clientStatic = this.decrypt(fin.static);
    this.mix(Curve.sharedKey(this.ephemeral.private, clientStatic));
    const payload = proto.ClientPayload.decode(this.decrypt(fin.payload));
    const keys = hkdf(Buffer.alloc(0), 64, { salt: this.salt, info: '' });
    // The client writes with the first half and reads with the second.
    const transport = new NoiseTransport(Buffer.from(keys.subarray(32)), Buffer.from(keys.subarray(0, 32)));
    return { transport, clientStatic, payload };
  }
}
