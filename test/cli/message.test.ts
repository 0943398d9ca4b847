import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { makeJpeg } from '../media/fixtures.js';
import { runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/net.js';
import { tmpDir } from '../helpers/tmp.js';

async function home(config: unknown): Promise<{ env: Record<string, string>; dir: string }> {
  const dir = tmpDir('msg');
  fs.writeFileSync(path.join(dir, 'wagate.json'), JSON.stringify(config));
  return { env: { WAGATE_HOME: dir, HOME: dir }, dir };
}

describe('wagate message send --dry-run', () => {
  it('prints chunks and the optimised media (type, mimetype, size) without a gateway', async () => {
    const { env, dir } = await home({ gateway: { port: await freePort() }, channels: { whatsapp: { textChunkLimit: 10 } } });
    const big = path.join(dir, 'big.jpg');
    fs.writeFileSync(big, await makeJpeg({ width: 1600, height: 1200, grain: 70 }));
    const png = path.join(dir, 'dot.png');
    fs.writeFileSync(png, await sharp({ create: { width: 8, height: 8, channels: 4, background: '#f008' } }).png().toBuffer());
    const r = await runCli(
      ['--config', path.join(dir, 'wagate.json'), 'message', 'send', '--to', '+15551234567', '-m', 'hello there world', '--media', big, '--media', png, '--dry-run', '--json'],
      env,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan).toMatchObject({ ok: true, dryRun: true, accountId: 'default', to: '15551234567@s.whatsapp.net' });
    expect(plan.texts.map((t: { text: string }) => t.text)).toEqual(['hello', 'there', 'world']);
    expect(plan.media).toEqual([
      expect.objectContaining({ source: big, type: 'image', mimetype: 'image/jpeg' }),
      expect.objectContaining({ source: png, type: 'image', mimetype: 'image/png' }),
    ]);
    expect(plan.media[0].bytes).toBeGreaterThan(0);
    expect(plan.media[0].caption).toBeUndefined(); // three chunks: no caption
  });

  it('--gif-playback sets the flag on MP4 video; the text becomes the caption', async () => {
    const { env, dir } = await home({ gateway: { port: await freePort() } });
    const mp4 = path.join(dir, 'clip.mp4');
    fs.writeFileSync(mp4, Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(12)]));
    const r = await runCli(['--config', path.join(dir, 'wagate.json'), 'message', 'send', '--to', '+15551234567', '-m', 'loop', '--media', mp4, '--gif-playback', '--dry-run'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/would send to 15551234567@s\.whatsapp\.net from account default \(nothing sent\)/);
    expect(r.stdout).toMatch(/video video\/mp4 .*caption "loop", gifPlayback/);
  });

  it('a missing file or a fake .jpg is one clear WAGATE_ERR_MEDIA line and exit 1', async () => {
    const { env, dir } = await home({ gateway: { port: await freePort() } });
    const cfg = path.join(dir, 'wagate.json');
    const missing = await runCli(['--config', cfg, 'message', 'send', '--to', '+15551234567', '--media', path.join(dir, 'nope.jpg'), '--dry-run'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toMatch(/^wagate: Media file .*nope\.jpg: no such file\.$/);
    fs.writeFileSync(path.join(dir, 'fake.jpg'), 'hello');
    const fake = await runCli(['--config', cfg, 'message', 'send', '--to', '+15551234567', '--media', path.join(dir, 'fake.jpg'), '--dry-run', '--json'], env);
    expect(fake.code).toBe(1);
    expect(JSON.parse(fake.stdout).error.code).toBe('WAGATE_ERR_MEDIA');
  });

  it('refuses a bad recipient or nothing to send', async () => {
    const { env, dir } = await home({ gateway: { port: await freePort() } });
    const cfg = path.join(dir, 'wagate.json');
    const bad = await runCli(['--config', cfg, 'message', 'send', '--to', 'bob', '-m', 'hi', '--dry-run'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/"bob" is not an E\.164 number/);
    const empty = await runCli(['--config', cfg, 'message', 'send', '--to', '+15551234567'], env);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/Nothing to send/);
  });

  it('without --dry-run and no gateway: the unreachable error, exit 1', async () => {
    const { env, dir } = await home({ gateway: { port: await freePort() } });
    const r = await runCli(['--config', path.join(dir, 'wagate.json'), 'message', 'send', '--to', '+15551234567', '-m', 'hi'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/gateway is not reachable/);
  });
});
