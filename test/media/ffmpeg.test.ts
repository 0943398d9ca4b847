import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundledFfmpeg, ffmpegVersion, resolveFfmpeg, transcodeToOpus } from '../../src/media/ffmpeg.js';
import { tmpDir } from '../helpers/tmp.js';
import { makeWithFfmpeg } from './fixtures.js';

let dir: string;
/** An "ffmpeg" that only answers -version: enough to tell which binary was picked. */
let fake: string;
let fakeDir: string;
let emptyDir: string;
beforeAll(() => {
  dir = tmpDir('ffmpeg', { scope: 'file' });
  fakeDir = path.join(dir, 'bin');
  emptyDir = path.join(dir, 'empty');
  fs.mkdirSync(fakeDir);
  fs.mkdirSync(emptyDir);
  fake = path.join(fakeDir, 'ffmpeg');
  fs.writeFileSync(fake, '#!/bin/sh\necho "ffmpeg version 9.9-fake Copyright"\n', { mode: 0o755 });
});

describe('resolveFfmpeg: one place, one order', () => {
  it('the npm package brings a runnable ffmpeg for this platform (the fresh-machine path)', async () => {
    const bin = bundledFfmpeg();
    expect(bin).toMatch(/@ffmpeg-installer/);
    expect(await ffmpegVersion(bin!)).toMatch(/^ffmpeg version \S+$/);
  });

  it('nothing set and nothing on PATH: the bundled binary', async () => {
    const r = await resolveFfmpeg({ env: { PATH: emptyDir } });
    expect(r).toEqual({ bin: bundledFfmpeg(), source: 'bundled', from: 'the npm package @ffmpeg-installer/ffmpeg' });
  });

  it('ffmpeg on PATH comes before the bundled one', async () => {
    expect(await resolveFfmpeg({ env: { PATH: [emptyDir, fakeDir].join(path.delimiter) } })).toEqual({ bin: fake, source: 'path', from: 'PATH' });
  });

  it('media.ffmpegPath comes before PATH; relative to the state dir, ~ expands', async () => {
    const env = { PATH: fakeDir, WAGATE_HOME: dir };
    const other = path.join(dir, 'my-ffmpeg');
    fs.copyFileSync(fake, other);
    fs.chmodSync(other, 0o755);
    expect(await resolveFfmpeg({ configured: other, env })).toEqual({ bin: other, source: 'config', from: 'media.ffmpegPath' });
    expect((await resolveFfmpeg({ configured: 'my-ffmpeg', env })).bin).toBe(other);
    await expect(resolveFfmpeg({ configured: '~/no-such-wagate-ffmpeg', env })).rejects.toMatchObject({
      message: expect.stringContaining(`${path.join(os.homedir(), 'no-such-wagate-ffmpeg')} does not exist`),
    });
  });

  it('WAGATE_FFMPEG comes before media.ffmpegPath; WAGATE_FFMPEG=bundled forces the bundled binary over both and PATH', async () => {
    const env = { PATH: fakeDir, WAGATE_FFMPEG: fake };
    expect(await resolveFfmpeg({ configured: '/no/such/ffmpeg', env })).toEqual({ bin: fake, source: 'env', from: 'WAGATE_FFMPEG' });
    const forced = await resolveFfmpeg({ configured: fake, env: { PATH: fakeDir, WAGATE_FFMPEG: 'bundled' } });
    expect(forced).toMatchObject({ bin: bundledFfmpeg(), source: 'bundled', from: expect.stringContaining('WAGATE_FFMPEG=bundled') });
  });

  it('a set path that is missing or not executable is an error naming the key or the env var', async () => {
    const missing = path.join(dir, 'nope');
    await expect(resolveFfmpeg({ configured: missing, env: { PATH: fakeDir } })).rejects.toMatchObject({
      code: 'WAGATE_ERR_CONFIG',
      message: `media.ffmpegPath: ${missing} does not exist; point it at an ffmpeg binary, or remove it to use ffmpeg from PATH or the bundled one.`,
    });
    const plain = path.join(dir, 'not-exec');
    fs.writeFileSync(plain, 'text', { mode: 0o644 });
    await expect(resolveFfmpeg({ configured: plain, env: {} })).rejects.toMatchObject({
      code: 'WAGATE_ERR_CONFIG',
      message: expect.stringMatching(/^media\.ffmpegPath: .*not-exec is not an executable file/),
    });
    await expect(resolveFfmpeg({ configured: dir, env: {} })).rejects.toMatchObject({ message: expect.stringContaining('is not an executable file') });
    await expect(resolveFfmpeg({ env: { WAGATE_FFMPEG: missing, PATH: fakeDir } })).rejects.toMatchObject({
      code: 'WAGATE_ERR_CONFIG',
      message: expect.stringMatching(/^WAGATE_FFMPEG: .*nope does not exist/),
    });
  });

  it('no ffmpeg anywhere: source none (and WAGATE_FFMPEG=bundled without the package is an error)', async () => {
    const r = await resolveFfmpeg({ env: { PATH: emptyDir }, bundled: () => null });
    expect(r).toMatchObject({ bin: null, source: 'none', from: expect.stringContaining('not on PATH') });
    await expect(resolveFfmpeg({ env: { WAGATE_FFMPEG: 'bundled' }, bundled: () => null })).rejects.toMatchObject({
      code: 'WAGATE_ERR_CONFIG',
      message: expect.stringContaining('WAGATE_FFMPEG=bundled'),
    });
  });

  it('the bundled binary transcodes to OGG/Opus', async () => {
    const wav = await makeWithFfmpeg('sine=duration=0.3', [], path.join(dir, 'a.wav'));
    const ogg = await transcodeToOpus(fs.readFileSync(wav), 'a.wav', { bin: bundledFfmpeg()! });
    expect(ogg.subarray(0, 4).toString('latin1')).toBe('OggS');
    expect(ogg.subarray(0, 128).includes('OpusHead')).toBe(true);
  });
});
