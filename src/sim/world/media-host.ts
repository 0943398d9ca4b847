/**
 * The simulator's media host: a loopback HTTPS listener (self-signed, made with the
 * `openssl` CLI once per process) that takes Baileys' uploads, and a plain HTTP
 * listener serving the same blobs, which media sent by contacts point to (their
 * messages carry only `url`, so Baileys downloads without trusting a certificate).
 * Uploads need the client to accept the certificate: pass
 * `fetchAgent: new https.Agent({ rejectUnauthorized: false })` to makeWASocket.
 *
 * Also WhatsApp media encryption: AES-256-CBC + 10-byte HMAC-SHA256, keys from
 * Baileys' `getMediaKeys(mediaKey, type)`.
 */
import { execFileSync } from 'node:child_process';
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { getMediaKeys, type MediaType } from '@whiskeysockets/baileys';

let cachedCert: { key: string; cert: string } | undefined;

/** A self-signed certificate for 127.0.0.1 (generated once per process). */
function loopbackCert(): { key: string; cert: string } {
  if (cachedCert) return cachedCert;
  const out = execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', '-', '-out', '-',
      '-subj', '/CN=127.0.0.1', '-days', '2', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(out)?.[0];
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(out)?.[0];
  if (!key || !cert) throw new Error('sim media host: openssl did not produce a key and certificate');
  cachedCert = { key, cert };
  return cachedCert;
}

export interface EncryptedMedia {
  mediaKey: Buffer;
  blob: Buffer;
  fileSha256: Buffer;
  fileEncSha256: Buffer;
  fileLength: number;
}

/** WhatsApp media encryption of `plain` for `type` with a fresh (or given) media key. */
export async function encryptMedia(plain: Uint8Array, type: MediaType, mediaKey = randomBytes(32)): Promise<EncryptedMedia> {
  const { cipherKey, iv, macKey } = await getMediaKeys(mediaKey, type);
  const cipher = createCipheriv('aes-256-cbc', cipherKey, iv);
  const enc = Buffer.concat([cipher.update(plain), cipher.final()]);
  const mac = createHmac('sha256', macKey!).update(iv).update(enc).digest().subarray(0, 10);
  const blob = Buffer.concat([enc, mac]);
  return {
    mediaKey,
    blob,
    fileSha256: createHash('sha256').update(plain).digest(),
    fileEncSha256: createHash('sha256').update(blob).digest(),
    fileLength: plain.length,
  };
}

/** Verifies and decrypts a media blob. */
export async function decryptMedia(blob: Uint8Array, type: MediaType, mediaKey: Uint8Array): Promise<Buffer> {
  const { cipherKey, iv, macKey } = await getMediaKeys(mediaKey, type);
  const enc = blob.subarray(0, blob.length - 10);
  const mac = createHmac('sha256', macKey!).update(iv).update(enc).digest().subarray(0, 10);
  if (!timingSafeEqual(mac, Buffer.from(blob.subarray(blob.length - 10)))) throw new Error('sim media: bad media MAC');
  const decipher = createDecipheriv('aes-256-cbc', cipherKey, iv);
  return Buffer.concat([decipher.update(enc), decipher.final()]);
}

export class MediaHost {
  private readonly blobs = new Map<string, Buffer>();
  private https?: Server;
  private http?: Server;
  /** `127.0.0.1:port` of the HTTPS upload host (the `media_conn` hostname). */
  uploadHost = '';
  /** `http://127.0.0.1:port` serving the blobs without TLS. */
  plainBase = '';
  private counter = 0;

  constructor(private readonly host = '127.0.0.1') {}

  async start(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.handle(req, res);
    this.https = createHttpsServer(loopbackCert(), handler);
    this.http = createHttpServer(handler);
    const listen = (srv: Server) =>
      new Promise<number>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(0, this.host, () => resolve((srv.address() as AddressInfo).port));
      });
    this.uploadHost = `${this.host}:${await listen(this.https)}`;
    this.plainBase = `http://${this.host}:${await listen(this.http)}`;
  }

  /** Stores an encrypted blob; returns its direct path. */
  put(blob: Buffer, kind: string): string {
    const path = `/sim/${kind}/${++this.counter}-${createHash('sha256').update(blob).digest('hex').slice(0, 16)}`;
    this.blobs.set(path, blob);
    return path;
  }

  /** The blob at a direct path or URL (query string ignored). */
  get(pathOrUrl: string): Buffer | undefined {
    const path = pathOrUrl.startsWith('http') ? new URL(pathOrUrl).pathname : pathOrUrl.split('?')[0]!;
    return this.blobs.get(path);
  }

  async close(): Promise<void> {
    const stop = (srv?: Server) =>
      new Promise<void>((resolve) => {
        if (!srv) return resolve();
        srv.closeAllConnections();
        srv.close(() => resolve());
      });
    await Promise.all([stop(this.https), stop(this.http)]);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.blobs.set(url.pathname, Buffer.concat(chunks));
        const body = JSON.stringify({ url: `https://${this.uploadHost}${url.pathname}`, direct_path: url.pathname });
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      });
      return;
    }
    const blob = this.blobs.get(url.pathname);
    if (!blob) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': blob.length }).end(blob);
  }
}
