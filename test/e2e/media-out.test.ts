import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeJpeg, makeWithFfmpeg } from '../media/fixtures.js';
import { e2e, until, type E2E } from './harness.js';

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const BOT = '+15550004000';
const TO = '+15557778001';

async function linked(extra: Parameters<typeof e2e>[0] = {}) {
  h = await e2e({ channels: { whatsapp: { dmPolicy: 'disabled' } }, ...extra });
  const gw = await h.startGateway();
  expect((await h.link('default', BOT)).code).toBe(0);
  await until(() => gw.accounts.get('default')!.state === 'connected', 'connected');
  return h;
}

function file(name: string, data: Buffer): string {
  const p = path.join(h!.home, name);
  fs.writeFileSync(p, data);
  return p;
}

describe('outbound media end to end (CLI → gateway → real Baileys → simulator, real sharp and ffmpeg)', () => {
  it('a 12-megapixel JPEG arrives under 5 MB, upright, with the caption; a PNG with alpha stays PNG', async () => {
    const h = await linked();
    const contact = h.sim.contact(TO, { name: 'Media Fan' });
    // 4000×3000 stored sideways: EXIF orientation 6 means "rotate 90° clockwise to view".
    const big = await makeJpeg({ width: 4000, height: 3000, grain: 60, orientation: 6, quality: 98 });
    const res = await runCli(['message', 'send', '--to', TO, '-m', 'holiday', '--media', file('big.jpg', big), '--json'], h.env);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const msg = await contact.nextMessage(20_000);
    expect(msg.message.imageMessage?.caption).toBe('holiday');
    const bytes = Buffer.from(await contact.download(msg.message));
    expect(bytes.length).toBeLessThan(5 * 1024 * 1024);
    const meta = await sharp(bytes).metadata();
    expect(meta.format).toBe('jpeg');
    // Upright: the rotation was applied to the pixels (portrait), not left to a tag.
    expect(meta.width).toBeLessThan(meta.height!);
    expect(meta.orientation ?? 1).toBe(1);

    const png = await sharp({ create: { width: 64, height: 64, channels: 4, background: { r: 10, g: 200, b: 10, alpha: 0.5 } } }).png().toBuffer();
    expect((await runCli(['message', 'send', '--to', TO, '--media', file('alpha.png', png)], h.env)).code).toBe(0);
    const pngMsg = await contact.nextMessage(20_000);
    const pngBytes = Buffer.from(await contact.download(pngMsg.message));
    const pmeta = await sharp(pngBytes).metadata();
    expect(pmeta.format).toBe('png');
    expect(pmeta.hasAlpha).toBe(true);
  });

  it('an MP3 arrives as an OGG/Opus voice note; an MP4 with --gif-playback carries the flag', async () => {
    const h = await linked();
    const contact = h.sim.contact(TO);
    const mp3 = await makeWithFfmpeg('sine=frequency=440:duration=1', ['-c:a', 'libmp3lame'], path.join(h.home, 'tone.mp3'));
    expect((await runCli(['message', 'send', '--to', TO, '--media', mp3], h.env)).code).toBe(0);
    const voice = await contact.nextMessage(20_000);
    expect(voice.message.audioMessage?.ptt).toBe(true);
    expect(voice.message.audioMessage?.mimetype).toBe('audio/ogg; codecs=opus');
    const ogg = Buffer.from(await contact.download(voice.message));
    expect(ogg.subarray(0, 4).toString('latin1')).toBe('OggS');

    const mp4 = await makeWithFfmpeg('testsrc=duration=1:size=64x64:rate=10', ['-pix_fmt', 'yuv420p'], path.join(h.home, 'clip.mp4'));
    expect((await runCli(['message', 'send', '--to', TO, '--media', mp4, '--gif-playback'], h.env)).code).toBe(0);
    const gif = await contact.nextMessage(20_000);
    expect(gif.message.videoMessage?.gifPlayback).toBe(true);
    expect(Buffer.from(await contact.download(gif.message)).equals(fs.readFileSync(mp4))).toBe(true);
  });

  it('bad media: a missing file and a non-media file named .jpg are clear errors, nothing is sent, the gateway keeps running', async () => {
    const h = await linked();
    const contact = h.sim.contact(TO);
    const missing = await runCli(['message', 'send', '--to', TO, '--media', path.join(h.home, 'nope.jpg')], h.env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.jpg/);
    const fake = await runCli(['message', 'send', '--to', TO, '--media', file('notes.jpg', Buffer.from('just some text, not a picture'))], h.env);
    expect(fake.code).toBe(1);
    expect(fake.stderr.trim().split('\n')).toHaveLength(1);
    expect((await runCli(['message', 'send', '--to', TO, '-m', 'still here'], h.env)).code).toBe(0);
    const ok = await contact.nextMessage(10_000);
    expect(ok.message.conversation ?? ok.message.extendedTextMessage?.text).toBe('still here');
    // One chat's sends go out in order: anything the two refused sends had sent
    // would have arrived before "still here".
    expect(contact.inbox).toHaveLength(1);
    expect(h.of('reply.failed').map((f) => f.error.code)).toEqual(['WAGATE_ERR_MEDIA', 'WAGATE_ERR_MEDIA']);
  });

  it("a command agent's media: the gateway's token and a loopback URL become warnings; a file in <state>/media is sent", async () => {
    const jpg = await makeJpeg({ width: 64, height: 48 });
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits += 1;
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpg);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/inside.jpg`;
      // Relative agent paths are taken inside <state>/media: `../gateway.token` is the state dir's token.
      const reply = { text: 'here you go', media: [{ path: '../gateway.token' }, { url }, { path: 'ok.jpg' }] };
      const script = `process.stdin.resume().on('end',()=>process.stdout.write(${JSON.stringify(JSON.stringify(reply))}))`;
      const h = await linked({
        channels: { whatsapp: { dmPolicy: 'open', allowFrom: ['*'] } },
        agents: { list: [{ id: 'main', model: { provider: 'command', command: [process.execPath, '-e', script] } }] },
      });
      fs.mkdirSync(path.join(h.home, 'media'), { recursive: true });
      fs.writeFileSync(path.join(h.home, 'media', 'ok.jpg'), jpg);
      const contact = h.sim.contact(TO);
      await contact.send('send me the files');
      await until(() => contact.inbox.length >= 3, 'the reply');
      const texts = contact.inbox.map((m) => m.message.conversation ?? m.message.extendedTextMessage?.text ?? null);
      expect(contact.inbox[0]!.message.imageMessage?.caption).toBe('here you go');
      expect(texts.slice(1)).toEqual([
        expect.stringMatching(/^⚠️ could not send gateway\.token: .*refused: it is one of the gateway's credentials, token, config or stores/),
        expect.stringMatching(/^⚠️ could not send inside\.jpg: .*refused: 127\.0\.0\.1 is a loopback address/),
      ]);
      const token = fs.readFileSync(path.join(h.home, 'gateway.token'), 'utf8').trim();
      expect(JSON.stringify(contact.inbox)).not.toContain(token);
      expect(hits).toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
