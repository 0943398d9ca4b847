/**
 * Saves a media stream to `<dir>/<sha256><ext>` without holding more than one
 * chunk in memory: bytes go to a temp file in the same dir (hashed on the way),
 * the stream is destroyed as soon as it passes `maxBytes`, and the partial file
 * is deleted. A finished file is renamed to its content-derived name, so the same
 * media received twice is one file.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export type SaveResult =
  | { ok: true; path: string; bytes: number; sha256: string }
  | { ok: false; reason: 'too-large'; bytes: number };

export interface SaveOptions {
  dir: string;
  /** `.jpg` etc. (see inbound-ext.ts). */
  ext: string;
  maxBytes: number;
  /** Temp file name part; default a random UUID. */
  tempId?: () => string;
}

class TooLarge extends Error {
  constructor(readonly bytes: number) {
    super(`more than the limit (${bytes} bytes read)`);
  }
}

export async function saveCapped(source: Readable, opts: SaveOptions): Promise<SaveResult> {
  await fs.promises.mkdir(opts.dir, { recursive: true, mode: 0o700 });
  const temp = path.join(opts.dir, `.partial-${(opts.tempId ?? randomUUID)()}`);
  const hash = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > opts.maxBytes) return done(new TooLarge(bytes));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(source, meter, fs.createWriteStream(temp, { mode: 0o600 }));
  } catch (err) {
    source.destroy();
    await fs.promises.rm(temp, { force: true });
    if (err instanceof TooLarge) return { ok: false, reason: 'too-large', bytes: err.bytes };
    throw err;
  }
  const sha256 = hash.digest('hex');
  const final = path.join(opts.dir, `${sha256}${opts.ext}`);
  await fs.promises.rename(temp, final);
  return { ok: true, path: final, bytes, sha256 };
}
