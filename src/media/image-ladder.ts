/**
 * The JPEG rungs an oversized image may be re-encoded to (longest side ×
 * quality), tried in ladder order: biggest side first, best quality first.
 * Two ways to find the first rung that fits under the cap:
 *   - `ladderRung`: walk the ladder (the reference; many encodes).
 *   - `searchRung`: a size model picks the rung, two neighbours prove it first.
 */
import sharp from 'sharp';

export const LADDER_SIDES = [4096, 3200, 2560, 2048, 1600, 1280, 1024, 800] as const;
export const LADDER_QUALITIES = [85, 75, 65, 55, 45, 35] as const;

/** Decoded pixels, EXIF rotation applied, alpha flattened: the input of every rung. */
export interface DecodedImage {
  raw: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

export interface Rung {
  side: number;
  quality: number;
}

export interface RungResult {
  rung: Rung;
  data: Buffer;
  width: number;
  height: number;
  /** JPEG encodes it took to find this rung. */
  encodes: number;
}

export async function decodeImage(input: Buffer): Promise<DecodedImage> {
  const { data, info } = await sharp(input, { failOn: 'error' })
    .rotate()
    .flatten({ background: '#ffffff' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { raw: data, width: info.width, height: info.height, channels: info.channels };
}

/** The sides worth trying for this image: its own longest side (≤ 4096) first, then the smaller ladder sides. */
export function sidesFor(img: { width: number; height: number }): number[] {
  const top = Math.min(Math.max(img.width, img.height), LADDER_SIDES[0]);
  return [top, ...LADDER_SIDES.filter((s) => s < top)];
}

class Encoder {
  encodes = 0;
  private readonly cache = new Map<string, { data: Buffer; width: number; height: number }>();
  constructor(
    private readonly img: DecodedImage,
    private readonly sides: number[],
    private readonly capBytes: number,
  ) {}
  async at(i: number, j: number) {
    const key = `${i},${j}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    this.encodes += 1;
    const side = this.sides[i]!;
    const { data, info } = await sharp(this.img.raw, { raw: { width: this.img.width, height: this.img.height, channels: this.img.channels } })
      .resize({ width: side, height: side, fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: LADDER_QUALITIES[j]! })
      .toBuffer({ resolveWithObject: true });
    const out = { data, width: info.width, height: info.height };
    this.cache.set(key, out);
    return out;
  }
  async fits(i: number, j: number): Promise<boolean> {
    return (await this.at(i, j)).data.length <= this.capBytes;
  }
  async result(i: number, j: number): Promise<RungResult> {
    const r = await this.at(i, j);
    return { rung: { side: this.sides[i]!, quality: LADDER_QUALITIES[j]! }, ...r, encodes: this.encodes };
  }
}

/** Walk the fixed ladder; null when even the last rung is over the cap. */
export async function ladderRung(img: DecodedImage, capBytes: number): Promise<RungResult | null> {
  const sides = sidesFor(img);
  const enc = new Encoder(img, sides, capBytes);
  for (let i = 0; i < sides.length; i++) {
    for (let j = 0; j < LADDER_QUALITIES.length; j++) if (await enc.fits(i, j)) return enc.result(i, j);
  }
  return null;
}

/** Typical JPEG bytes at each ladder quality, relative to the first (the search's model). */
const QUALITY_BYTES = [1, 0.72, 0.58, 0.49, 0.42, 0.36];

/**
 * The ladder's answer with few encodes. A model (bytes ∝ pixels × a quality
 * curve, rescaled by every measurement) picks the first rung predicted to fit;
 * it is the answer once the rung before it in its row and the last rung of the
 * row above are known to be over the cap (sizes grow with side and quality).
 * null when nothing fits.
 */
export async function searchRung(img: DecodedImage, capBytes: number): Promise<RungResult | null> {
  const sides = sidesFor(img);
  const nq = LADDER_QUALITIES.length;
  const enc = new Encoder(img, sides, capBytes);
  const longest = Math.max(img.width, img.height);
  const pixels = (i: number) => img.width * img.height * Math.min(1, sides[i]! / longest) ** 2;
  const known = new Map<string, boolean>();
  let scale = 0;
  const measure = async (i: number, j: number) => {
    const k = `${i},${j}`;
    if (!known.has(k)) {
      const bytes = (await enc.at(i, j)).data.length;
      scale = bytes / (pixels(i) * QUALITY_BYTES[j]!);
      known.set(k, bytes <= capBytes);
    }
    return known.get(k)!;
  };
  const impliedFail = (i: number, j: number) => {
    for (const [k, ok] of known) {
      const [a, b] = k.split(',').map(Number) as [number, number];
      if (!ok && a >= i && b >= j) return true;
    }
    return false;
  };
  const mayFit = (i: number, j: number) => known.get(`${i},${j}`) ?? scale * pixels(i) * QUALITY_BYTES[j]! <= capBytes;
  if (await measure(0, 0)) return enc.result(0, 0);
  for (;;) {
    let p: [number, number] | null = null;
    for (let i = 0; i < sides.length && !p; i++) {
      for (let j = 0; j < nq && !p; j++) if (!impliedFail(i, j) && mayFit(i, j)) p = [i, j];
    }
    if (!p) {
      // The model says nothing fits: the smallest rung settles it.
      if (await measure(sides.length - 1, nq - 1)) continue;
      return null;
    }
    const [i, j] = p;
    if (!(await measure(i, j))) continue;
    const before: [number, number][] = [];
    if (j > 0) before.push([i, j - 1]);
    if (i > 0) before.push([i - 1, nq - 1]);
    let earlier = false;
    for (const [a, b] of before) if (!impliedFail(a, b) && (await measure(a, b))) earlier = true;
    if (!earlier) return enc.result(i, j);
  }
}
