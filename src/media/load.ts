/**
 * Load an outbound media source: a local path or an HTTP(S) URL. Downloads are
 * bounded in bytes and time; the Content-Type header is not trusted (the bytes
 * are sniffed later). Every failure is a WAGATE_ERR_MEDIA naming the source.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { WagateError } from '../errors.js';

export interface MediaSource {
  path?: string;
  url?: string;
}

export interface LoadOptions {
  /** Refuse sources larger than this (before optimisation). */
  maxBytes: number;
  /** Whole-download time limit. */
  timeoutMs: number;
  fetch?: typeof fetch;
}

export interface LoadedSource {
  data: Buffer;
  /** Base name for messages and documents (`photo.jpg`). */
  name: string;
  /** What the user gave us (path or URL), for error messages. */
  label: string;
}

export const DEFAULT_LOAD: LoadOptions = { maxBytes: 64 * 1024 * 1024, timeoutMs: 30_000 };

export function sourceLabel(src: MediaSource): string {
  return src.path ?? src.url ?? '(no source)';
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

export async function loadSource(src: MediaSource, opts: LoadOptions = DEFAULT_LOAD): Promise<LoadedSource> {
  if (src.path && src.url) throw new WagateError('WAGATE_ERR_MEDIA', 'A media item has both a path and a url; give one.');
  if (src.path) return loadPath(src.path, opts);
  if (src.url) return loadUrl(src.url, opts);
  throw new WagateError('WAGATE_ERR_MEDIA', 'A media item has neither a path nor a url.');
}

async function loadPath(file: string, opts: LoadOptions): Promise<LoadedSource> {
  const st = await stat(file).catch((err: NodeJS.ErrnoException) => {
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new WagateError('WAGATE_ERR_MEDIA', `Media file ${file}: ${why}.`, { cause: err });
  });
  if (!st.isFile()) throw new WagateError('WAGATE_ERR_MEDIA', `Media file ${file}: not a regular file.`);
  if (st.size > opts.maxBytes) {
    throw new WagateError('WAGATE_ERR_MEDIA', `Media file ${file} is too large (${mb(st.size)}; limit ${mb(opts.maxBytes)}).`);
  }
  const data = await readFile(file);
  return { data, name: path.basename(file), label: file };
}

function nameFromUrl(u: URL): string {
  const last = decodeURIComponent(u.pathname.split('/').filter(Boolean).at(-1) ?? '');
  return last || u.hostname;
}

async function loadUrl(raw: string, opts: LoadOptions): Promise<LoadedSource> {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new WagateError('WAGATE_ERR_MEDIA', `Media URL ${raw} is not a valid URL.`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new WagateError('WAGATE_ERR_MEDIA', `Media URL ${raw}: only http and https are supported.`);
  }
  const signal = AbortSignal.timeout(opts.timeoutMs);
  const fail = (why: string, cause?: unknown) => new WagateError('WAGATE_ERR_MEDIA', `Media URL ${raw}: ${why}.`, { cause });
  const res = await (opts.fetch ?? fetch)(u, { signal, redirect: 'follow' }).catch((err: unknown) => {
    throw fail(signal.aborted ? `no answer within ${opts.timeoutMs / 1000}s` : `download failed (${(err as Error).message})`, err);
  });
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw fail(`the server answered HTTP ${res.status}`);
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > opts.maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw fail(`too large (${mb(declared)}; limit ${mb(opts.maxBytes)})`);
  }
  const parts: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body ?? []) {
      total += (chunk as Uint8Array).byteLength;
      if (total > opts.maxBytes) throw fail(`too large (over the ${mb(opts.maxBytes)} limit)`);
      parts.push(Buffer.from(chunk as Uint8Array));
    }
  } catch (err) {
    await res.body?.cancel().catch(() => undefined);
    if (err instanceof WagateError) throw err;
    throw fail(signal.aborted ? `download took longer than ${opts.timeoutMs / 1000}s` : `download failed (${(err as Error).message})`, err);
  }
  return { data: Buffer.concat(parts), name: nameFromUrl(u), label: raw };
}
