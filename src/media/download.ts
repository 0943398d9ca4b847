/**
 * One bounded HTTP(S) download for outbound media (SPEC §7). Redirects are
 * followed by hand (at most MAX_REDIRECTS), each hop checked again. With
 * `allowPrivate: false` every address a host name resolves to is checked
 * (src/media/address.ts) inside the socket's own `lookup`, and the connection
 * goes to the address that was checked: a DNS answer that changes between the
 * check and the connect (rebinding) cannot slip through. IP literals are checked
 * before connecting. Failures are WAGATE_ERR_MEDIA naming the URL the user gave.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import net from 'node:net';
import { WagateError } from '../errors.js';
import { blockedRange } from './address.js';

export const MAX_REDIRECTS = 5;

export interface DownloadOptions {
  maxBytes: number;
  timeoutMs: number;
  /** Reach loopback, private, link-local and metadata addresses too. */
  allowPrivate: boolean;
  /** DNS (tests); default dns.lookup. */
  lookup?: LookupFunction;
  /** Which range an address is in (tests); default src/media/address.ts. */
  blockedRange?: (address: string) => string | null;
}

export interface Downloaded {
  data: Buffer;
  /** The URL the bytes came from (after redirects). */
  finalUrl: URL;
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** A refusal that says which address and why, and which key allows it. */
class Refused extends Error {}

function refusal(host: string, address: string, range: string): Refused {
  const where = host === address ? address : `${host} (${address})`;
  return new Refused(
    `refused: ${where} is a ${range} address, which agent media may not reach (agents.defaults.mediaAllowPrivateUrls allows it)`,
  );
}

/** A `lookup` that resolves every address, refuses the host if any is blocked, and hands the checked ones to the socket. */
function guardedLookup(host: string, opts: DownloadOptions): LookupFunction {
  const resolve = opts.lookup ?? (dns.lookup as LookupFunction);
  const classify = opts.blockedRange ?? blockedRange;
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = (Array.isArray(addresses) ? addresses : [{ address: addresses, family: 4 }]) as dns.LookupAddress[];
      if (!list.length) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      if (!opts.allowPrivate) {
        for (const a of list) {
          const range = classify(a.address);
          if (range) return callback(refusal(host, a.address, range), '', 0);
        }
      }
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

function hostOf(u: URL): string {
  return u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
}

interface Hop {
  status: number;
  location: string | undefined;
  length: number;
  res: http.IncomingMessage;
}

function request(u: URL, opts: DownloadOptions, signal: AbortSignal): Promise<Hop> {
  const host = hostOf(u);
  if (net.isIP(host) && !opts.allowPrivate) {
    const range = (opts.blockedRange ?? blockedRange)(host);
    if (range) return Promise.reject(refusal(host, host, range));
  }
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise<Hop>((resolve, reject) => {
    const req = mod.get(
      u,
      { signal, lookup: guardedLookup(host, opts), headers: { 'accept-encoding': 'identity' }, agent: false },
      (res) =>
        resolve({
          status: res.statusCode ?? 0,
          location: res.headers.location,
          length: Number(res.headers['content-length'] ?? NaN),
          res,
        }),
    );
    req.on('error', reject);
  });
}

/** Download `raw` (already checked to be http/https). */
export async function download(raw: string, start: URL, opts: DownloadOptions): Promise<Downloaded> {
  const signal = AbortSignal.timeout(opts.timeoutMs);
  const fail = (why: string, cause?: unknown) => new WagateError('WAGATE_ERR_MEDIA', `Media URL ${raw}: ${why}.`, { cause });
  const failed = (err: unknown) => {
    if (err instanceof WagateError) return err;
    if (err instanceof Refused) return fail(err.message);
    return fail(signal.aborted ? `no answer within ${opts.timeoutMs / 1000}s` : `download failed (${(err as Error).message})`, err);
  };
  let u = start;
  for (let hops = 0; ; hops++) {
    const hop = await request(u, opts, signal).catch((err: unknown) => {
      throw failed(err);
    });
    if (hop.status >= 300 && hop.status < 400 && hop.location !== undefined) {
      hop.res.destroy();
      if (hops >= MAX_REDIRECTS) throw fail(`more than ${MAX_REDIRECTS} redirects`);
      let next: URL;
      try {
        next = new URL(hop.location, u);
      } catch {
        throw fail(`redirected to an invalid URL (${hop.location})`);
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:') throw fail(`redirected to ${next.protocol} (only http and https)`);
      u = next;
      continue;
    }
    if (hop.status < 200 || hop.status >= 300) {
      hop.res.destroy();
      throw fail(`the server answered HTTP ${hop.status}`);
    }
    if (Number.isFinite(hop.length) && hop.length > opts.maxBytes) {
      hop.res.destroy();
      throw fail(`too large (${mb(hop.length)}; limit ${mb(opts.maxBytes)})`);
    }
    const parts: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of hop.res) {
        total += (chunk as Buffer).byteLength;
        if (total > opts.maxBytes) throw fail(`too large (over the ${mb(opts.maxBytes)} limit)`);
        parts.push(chunk as Buffer);
      }
    } catch (err) {
      hop.res.destroy();
      if (err instanceof WagateError) throw err;
      throw fail(signal.aborted ? `download took longer than ${opts.timeoutMs / 1000}s` : `download failed (${(err as Error).message})`, err);
    }
    return { data: Buffer.concat(parts), finalUrl: u };
  }
}
