/**
 * Synthetic photos for media tests and the media benchmark: a smooth two-colour
 * field (top/bottom) with seeded grain, so JPEG sizes behave like a camera's.
 */
import sharp from 'sharp';

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
