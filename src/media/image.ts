/**
 * Outbound images under the per-item cap (SPEC §7): JPEG and PNG that fit and
 * need no EXIF rotation go as they are; a PNG with alpha stays PNG when it (or
 * a smaller PNG) fits; GIFs are never re-encoded; everything else becomes a
 * JPEG found by `searchRung` (EXIF rotation applied). Nothing fits → WAGATE_ERR_MEDIA.
 */
import sharp from 'sharp';
import { WagateError } from '../errors.js';
import { decodeImage, searchRung, sidesFor, type Rung } from './image-ladder.js';

export interface OptimizedImage {
  data: Buffer;
  mimetype: string;
  width: number;
  height: number;
  /** Encodes spent (0 = sent as it was). */
  encodes: number;
  /** The JPEG rung used, when re-encoded to JPEG. */
  rung?: Rung;
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

export async function optimizeImage(input: Buffer, capBytes: number, label = 'image'): Promise<OptimizedImage> {
  const meta = await sharp(input, { failOn: 'error' })
    .metadata()
    .catch((err: unknown) => {
      throw new WagateError('WAGATE_ERR_MEDIA', `${label} is not a readable image (${(err as Error).message}).`, { cause: err });
    });
  const width = meta.autoOrient?.width ?? meta.width ?? 0;
  const height = meta.autoOrient?.height ?? meta.height ?? 0;
  const fits = input.length <= capBytes;
  if (meta.format === 'gif') {
    if (fits) return { data: input, mimetype: 'image/gif', width, height, encodes: 0 };
    throw new WagateError(
      'WAGATE_ERR_MEDIA',
      `${label} is a ${mb(input.length)} GIF, over the ${mb(capBytes)} cap; GIFs are not re-encoded (send an MP4 with gifPlayback).`,
    );
  }
  const upright = (meta.orientation ?? 1) === 1;
  if (fits && upright && (meta.format === 'jpeg' || meta.format === 'png')) {
    return { data: input, mimetype: `image/${meta.format}`, width, height, encodes: 0 };
  }
  let encodes = 0;
  if (meta.format === 'png' && meta.hasAlpha) {
    const png = await smallerPng(input, { width, height }, capBytes);
    encodes += png.encodes;
    if (png.result) return { ...png.result, mimetype: 'image/png', encodes };
  }
  const decoded = await decodeImage(input).catch((err: unknown) => {
    throw new WagateError('WAGATE_ERR_MEDIA', `${label} could not be decoded (${(err as Error).message}).`, { cause: err });
  });
  const found = await searchRung(decoded, capBytes);
  if (!found) {
    throw new WagateError('WAGATE_ERR_MEDIA', `${label} does not fit under the ${mb(capBytes)} cap even at the smallest size and quality.`);
  }
  return { data: found.data, mimetype: 'image/jpeg', width: found.width, height: found.height, encodes: encodes + found.encodes, rung: found.rung };
}

/** The biggest PNG (ladder sides, best compression) under the cap, EXIF rotation applied. */
async function smallerPng(input: Buffer, dims: { width: number; height: number }, capBytes: number) {
  let encodes = 0;
  for (const side of sidesFor(dims)) {
    encodes += 1;
    const { data, info } = await sharp(input)
      .rotate()
      .resize({ width: side, height: side, fit: 'inside', withoutEnlargement: true })
      .png({ compressionLevel: 9, adaptiveFiltering: true })
      .toBuffer({ resolveWithObject: true });
    if (data.length <= capBytes) return { encodes, result: { data, width: info.width, height: info.height } };
  }
  return { encodes, result: null };
}
