/**
 * Load an outbound media source: a local path or an HTTP(S) URL. Downloads are
 * bounded in bytes and time; the Content-Type header is not trusted (the bytes
 * are sniffed later). With an `access` policy (src/media/access.ts) a path must
 * pass it after realpath — and again on the opened file, so a symlink swapped in
 * between cannot redirect the read — and a URL's addresses are checked on every
 * hop (src/media/download.ts). Every failure is a WAGATE_ERR_MEDIA naming the source.
 */
import fs from 'node:fs';
import { open, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { WagateError } from '../errors.js';
import { pathRefusal, type MediaAccess } from './access.js';
import { download } from './download.js';

export interface MediaSource {
  path?: string;
  url?: string;
}

export interface LoadOptions {
  /** Refuse sources larger than this (before optimisation). */
  maxBytes: number;
  /** Whole-download time limit. */
  timeoutMs: number;
  /** Who asks and what they may read; absent = any path and URL (tests, tools). */
  access?: MediaAccess;
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

const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0);

async function loadPath(file: string, opts: LoadOptions): Promise<LoadedSource> {
  const access = opts.access;
  const why = (err: NodeJS.ErrnoException) => {
    const text = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.message;
    return new WagateError('WAGATE_ERR_MEDIA', `Media file ${file}: ${text}.`, { cause: err });
  };
  const refuse = (reason: string | null) => {
    if (reason) throw new WagateError('WAGATE_ERR_MEDIA', `Media file ${file}: ${reason}.`);
  };
  const wanted = path.resolve(access?.base ?? process.cwd(), file);
  const target = await realpath(wanted).catch((err: NodeJS.ErrnoException) => {
    throw why(err);
  });
  if (access) refuse(pathRefusal(target, access));
  const fh = await open(target, OPEN_FLAGS).catch((err: NodeJS.ErrnoException) => {
    throw why(err);
  });
  try {
    // What was opened, not what the name pointed to a moment ago (Linux).
    const opened = await readlink(`/proc/self/fd/${fh.fd}`).catch(() => null);
    if (access && opened?.startsWith('/')) refuse(pathRefusal(opened, access));
    const st = await fh.stat();
    if (!st.isFile()) throw new WagateError('WAGATE_ERR_MEDIA', `Media file ${file}: not a regular file.`);
    if (st.size > opts.maxBytes) {
      throw new WagateError('WAGATE_ERR_MEDIA', `Media file ${file} is too large (${mb(st.size)}; limit ${mb(opts.maxBytes)}).`);
    }
    const data = await fh.readFile();
    if (data.length > opts.maxBytes) {
      throw new WagateError('WAGATE_ERR_MEDIA', `Media file ${file} is too large (over the ${mb(opts.maxBytes)} limit).`);
    }
    return { data, name: path.basename(file), label: file };
  } finally {
    await fh.close();
  }
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
  const a = opts.access;
  const { data } = await download(raw, u, {
    maxBytes: opts.maxBytes,
    timeoutMs: opts.timeoutMs,
    allowPrivate: a?.allowPrivateUrls ?? true,
    ...(a?.lookup ? { lookup: a.lookup } : {}),
    ...(a?.blockedRange ? { blockedRange: a.blockedRange } : {}),
  });
  return { data, name: nameFromUrl(u), label: raw };
}
