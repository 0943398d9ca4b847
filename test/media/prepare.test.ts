import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { MB, prepareMedia } from '../../src/media/prepare.js';
import { tmpDir } from '../helpers/tmp.js';
import { makeJpeg, makeWithFfmpeg, photoPixels } from './fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = tmpDir('media', { scope: 'file' });
});
const file = async (name: string, data: Buffer | string) => {
  const p = path.join(dir, name);
  await writeFile(p, data);
  return p;
};
const cap = 5 * MB;

describe('images', () => {
  it('brings a 12-megapixel EXIF-rotated JPEG under 5 MB, upright', async () => {
    // Stored landscape 4000×3000, top half red, bottom half blue; orientation 6 = shown rotated 90° clockwise.
    const jpg = await makeJpeg({ width: 4000, height: 3000, grain: 70, orientation: 6 });
    expect(jpg.length).toBeGreaterThan(cap);
    const p = await prepareMedia({ path: await file('big.jpg', jpg) }, { capBytes: cap });
    expect(p.item.kind).toBe('image');
    expect(p.item.mimetype).toBe('image/jpeg');
    expect(p.item.data.length).toBeLessThanOrEqual(cap);
    expect(p.encodes).toBeGreaterThan(0);
    const meta = await sharp(p.item.data).metadata();
    expect(meta.orientation ?? 1).toBe(1);
    expect(meta.height).toBeGreaterThan(meta.width!); // portrait now
    // Rotated clockwise, the red top ends up on the right, the blue bottom on the left.
    const { data, info } = await sharp(p.item.data).resize(8, 8, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
    const px = (x: number, y: number) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
    const [lr, , lb] = px(1, 4);
    const [rr, , rb] = px(6, 4);
    expect(lb!).toBeGreaterThan(lr!);
    expect(rr!).toBeGreaterThan(rb!);
  }, 60_000);

  it('sends a JPEG that fits and is upright as it is (no encode)', async () => {
    const jpg = await makeJpeg({ width: 800, height: 600, grain: 10 });
    const p = await prepareMedia({ path: await file('small.jpg', jpg) }, { capBytes: cap });
    expect(p.encodes).toBe(0);
    expect(p.item.data.equals(jpg)).toBe(true);
  });

  it('keeps a PNG with alpha as PNG', async () => {
    const png = await sharp({ create: { width: 400, height: 300, channels: 4, background: { r: 10, g: 200, b: 10, alpha: 0.5 } } }).png().toBuffer();
    const p = await prepareMedia({ path: await file('alpha.png', png) }, { capBytes: cap });
    expect(p.item).toMatchObject({ kind: 'image', mimetype: 'image/png' });
    const meta = await sharp(p.item.data).metadata();
    expect(meta.format).toBe('png');
    expect(meta.hasAlpha).toBe(true);
  });

  it('shrinks an oversized PNG with alpha and keeps it PNG when a smaller one fits', async () => {
    const raw = photoPixels({ width: 1200, height: 900, grain: 60 });
    const rgba = Buffer.alloc(1200 * 900 * 4);
    for (let i = 0, j = 0; i < raw.length; i += 3, j += 4) {
      rgba[j] = raw[i]!; rgba[j + 1] = raw[i + 1]!; rgba[j + 2] = raw[i + 2]!; rgba[j + 3] = 128;
    }
    const png = await sharp(rgba, { raw: { width: 1200, height: 900, channels: 4 } }).png().toBuffer();
    const small = Math.floor(png.length / 2);
    const p = await prepareMedia({ path: await file('alpha-big.png', png) }, { capBytes: small });
    expect(p.item.mimetype).toBe('image/png');
    expect(p.item.data.length).toBeLessThanOrEqual(small);
    expect((await sharp(p.item.data).metadata()).hasAlpha).toBe(true);
  });

  it('never re-encodes a GIF: as it is when it fits, an error when it does not', async () => {
    const gif = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#f00' } }).gif().toBuffer();
    const p = await prepareMedia({ path: await file('a.gif', gif) }, { capBytes: cap });
    expect(p.item).toMatchObject({ kind: 'image', mimetype: 'image/gif' });
    expect(p.item.data.equals(gif)).toBe(true);
    await expect(prepareMedia({ path: await file('b.gif', gif) }, { capBytes: 10 })).rejects.toMatchObject({
      code: 'WAGATE_ERR_MEDIA',
      message: expect.stringMatching(/GIFs are not re-encoded/),
    });
  });
});

describe('audio and video', () => {
  it('turns an MP3 into an OGG/Opus voice note with ffmpeg', async () => {
    const mp3 = await makeWithFfmpeg('sine=frequency=440:duration=1', ['-c:a', 'libmp3lame'], path.join(dir, 'tone.mp3'));
    const p = await prepareMedia({ path: mp3 }, { capBytes: cap });
    expect(p.item).toMatchObject({ kind: 'audio', mimetype: 'audio/ogg; codecs=opus', ptt: true });
    expect(p.item.data.subarray(0, 4).toString('latin1')).toBe('OggS');
    expect(p.item.data.subarray(0, 128).includes('OpusHead')).toBe(true);
    expect(p.warnings).toEqual([]);
  });

  it('sends OGG/Opus as it is, labelled audio/ogg; codecs=opus', async () => {
    const ogg = await makeWithFfmpeg('sine=duration=1', ['-c:a', 'libopus'], path.join(dir, 'voice.ogg'));
    const p = await prepareMedia({ path: ogg }, { capBytes: cap, ffmpeg: null });
    expect(p.item).toMatchObject({ kind: 'audio', mimetype: 'audio/ogg; codecs=opus', ptt: true });
  });

  it('without ffmpeg, other audio goes as a plain audio file with a clear warning', async () => {
    const wav = await makeWithFfmpeg('sine=duration=0.2', [], path.join(dir, 'tone.wav'));
    const p = await prepareMedia({ path: wav }, { capBytes: cap, ffmpeg: null });
    expect(p.item).toMatchObject({ kind: 'audio', mimetype: 'audio/wav', ptt: false });
    expect(p.warnings[0]).toMatch(/no ffmpeg was found.*not a voice note.*media\.ffmpegPath/);
  });

  it('a media.ffmpegPath that does not exist is an error naming the key, not a silent fallback', async () => {
    const wav = await makeWithFfmpeg('sine=duration=0.2', [], path.join(dir, 'tone2.wav'));
    const bad = path.join(dir, 'no-such-ffmpeg');
    await expect(prepareMedia({ path: wav }, { capBytes: cap, ffmpegPath: bad, env: { PATH: process.env.PATH } })).rejects.toMatchObject({
      code: 'WAGATE_ERR_CONFIG',
      message: expect.stringMatching(/^media\.ffmpegPath: .*no-such-ffmpeg does not exist/),
    });
  });

  it('MP4 video carries gifPlayback when asked', async () => {
    const mp4 = await makeWithFfmpeg('color=c=red:s=64x64:d=0.5', ['-pix_fmt', 'yuv420p'], path.join(dir, 'clip.mp4'));
    const p = await prepareMedia({ path: mp4, gifPlayback: true }, { capBytes: cap });
    expect(p.item).toMatchObject({ kind: 'video', mimetype: 'video/mp4', gifPlayback: true });
    const q = await prepareMedia({ path: mp4 }, { capBytes: cap });
    expect(q.item.gifPlayback).toBe(false);
    await expect(prepareMedia({ path: mp4 }, { capBytes: 100 })).rejects.toMatchObject({ code: 'WAGATE_ERR_MEDIA' });
  });
});

describe('bad inputs', () => {
  it('a missing file', async () => {
    await expect(prepareMedia({ path: path.join(dir, 'nope.jpg') }, { capBytes: cap })).rejects.toMatchObject({
      code: 'WAGATE_ERR_MEDIA',
      message: expect.stringMatching(/nope\.jpg: no such file/),
    });
  });

  it('a text file named .jpg', async () => {
    const p = await file('fake.jpg', 'this is not a picture\n');
    await expect(prepareMedia({ path: p }, { capBytes: cap })).rejects.toMatchObject({
      code: 'WAGATE_ERR_MEDIA',
      message: expect.stringMatching(/named like an image but its contents are not a recognised media file/),
    });
  });

  it('a truncated JPEG', async () => {
    const jpg = await makeJpeg({ width: 200, height: 200 });
    const p = await file('cut.jpg', jpg.subarray(0, 200));
    await expect(prepareMedia({ path: p }, { capBytes: cap })).rejects.toMatchObject({ code: 'WAGATE_ERR_MEDIA' });
  });

  it('a PDF is a document; an unknown file named .txt is a text document', async () => {
    const pdf = await prepareMedia({ path: await file('doc.pdf', '%PDF-1.4\n%…') }, { capBytes: cap });
    expect(pdf.item).toMatchObject({ kind: 'document', mimetype: 'application/pdf', fileName: 'doc.pdf' });
    const txt = await prepareMedia({ path: await file('notes.txt', 'hello') }, { capBytes: cap });
    expect(txt.item).toMatchObject({ kind: 'document', mimetype: 'text/plain', fileName: 'notes.txt' });
  });
});
