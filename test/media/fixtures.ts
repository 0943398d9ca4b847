/**
 * Synthetic media for tests and the media benchmark. Photos: a smooth two-colour
 * field (top/bottom) with seeded grain, so JPEG sizes behave like a camera's.
 * Audio and video: made by the ffmpeg that src/media/ffmpeg.ts resolves (never a
 * bare `ffmpeg` from PATH: `npm ci` brings one, so a fresh machine has it).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { resolveFfmpeg } from '../../src/media/ffmpeg.js';

export interface PhotoOptions {
  width: number;
  height: number;
  /** Grain amplitude (0–127); more grain = bigger files. */
  grain?: number;
  seed?: number;
  /** Colour of the top and bottom halves. */
  top?: [number, number, number];
  bottom?: [number, number, number];
  /** EXIF orientation tag (1–8). */
  orientation?: number;
  quality?: number;
}

/** xorshift32: deterministic noise without Math.random. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

export function photoPixels(o: PhotoOptions): Buffer {
  const { width, height } = o;
  const grain = o.grain ?? 40;
  const top = o.top ?? [200, 40, 40];
  const bottom = o.bottom ?? [40, 60, 200];
  const rand = rng(o.seed ?? 1);
  const buf = Buffer.alloc(width * height * 3);
  let k = 0;
  for (let y = 0; y < height; y++) {
    const base = y < height / 2 ? top : bottom;
    for (let x = 0; x < width; x++) {
      const shade = Math.round(((x / width) - 0.5) * 40);
      for (let c = 0; c < 3; c++) {
        const v = base[c]! + shade + Math.round((rand() - 0.5) * 2 * grain);
        buf[k++] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  return buf;
}

export async function makeJpeg(o: PhotoOptions): Promise<Buffer> {
  let img = sharp(photoPixels(o), { raw: { width: o.width, height: o.height, channels: 3 } }).jpeg({ quality: o.quality ?? 95 });
  if (o.orientation) img = img.withMetadata({ orientation: o.orientation });
  return img.toBuffer();
}

/** The resolved ffmpeg; fails the test when there is none (npm ci brings one). */
export async function testFfmpeg(): Promise<string> {
  const r = await resolveFfmpeg();
  if (!r.bin) throw new Error(`no ffmpeg for the media fixtures: ${r.from}`);
  return r.bin;
}

/** Run the resolved ffmpeg with lavfi input `source` (e.g. `sine=duration=1`), writing `out`. */
export async function makeWithFfmpeg(source: string, outArgs: string[], out: string): Promise<string> {
  const bin = await testFfmpeg();
  await promisify(execFile)(bin, ['-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'lavfi', '-i', source, ...outArgs, '-y', out]);
  return out;
}
