/**
 * Inbound media end to end: the simulator's contact sends media through real
 * Baileys; the gateway saves it and the agent (a `command` provider that reports
 * what it was given) sees the path, or the "not saved" note.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimContact } from '../../src/sim/index.js';
import { e2e, until, type E2E, textOf } from '../e2e/harness.js';

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const BOT = '+15550004000';
const MB = 1024 * 1024;

/** Replies with `<MediaPath>|<MediaType>|<MediaFileName>|<RawBody>` from the envelope on stdin. */
const REPORTER = [
  "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{",
  'const e=JSON.parse(s).envelope;',
  "process.stdout.write([e.MediaPath||'',e.MediaType||'',e.MediaFileName||'',e.RawBody].join('|'));});",
].join('');

async function nextText(c: SimContact, from: number): Promise<string> {
  await until(() => c.inbox.filter((m) => textOf(m)).length > from, `a reply for ${c.jid}`, 20_000);
  return c.inbox.map(textOf).filter(Boolean)[from]!;
}

async function start(mediaMaxMb?: number) {
  h = await e2e({
    channels: { whatsapp: { dmPolicy: 'open', allowFrom: ['*'], ...(mediaMaxMb ? { mediaMaxMb } : {}) } },
    agents: { defaults: { model: { provider: 'command', command: [process.execPath, '-e', REPORTER] } } },
  });
  const gw = await h.startGateway();
  expect((await h.link('default', BOT)).code).toBe(0);
  await until(() => gw.accounts.get('default')!.state === 'connected', 'connected');
  return h;
}

describe('inbound media through the simulator', () => {
  it('image, document, voice note, sticker and captioned video reach the agent as saved files with the same bytes', async () => {
    const h = await start();
    const alice = h.sim.contact('+15557771001', { name: 'Alice' });
    const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31) % 256));
    await alice.sendImage(bytes, { mimetype: 'image/png' });
    const [p, type, , raw] = (await nextText(alice, 0)).split('|');
    expect(type).toBe('image/png');
    expect(raw).toBe('<media:image>');
    expect(p!.startsWith(`${h.home}/media/inbound/`)).toBe(true);
    expect(p!.endsWith('.png')).toBe(true);
    expect(fs.readFileSync(p!).equals(bytes)).toBe(true);

    await alice.sendDocument(Buffer.from('%PDF-1.4 fake'), { mimetype: 'application/pdf', fileName: 'Invoice 7.pdf' });
    const [doc, dtype, name] = (await nextText(alice, 1)).split('|');
    expect([dtype, name]).toEqual(['application/pdf', 'Invoice 7.pdf']);
    expect(doc!.endsWith('.pdf')).toBe(true);
    expect(fs.readFileSync(doc!, 'utf8')).toBe('%PDF-1.4 fake');

    await alice.sendAudio(Buffer.from('OggS voice'), { ptt: true, seconds: 2 });
    const [voice, vtype] = (await nextText(alice, 2)).split('|');
    expect(vtype).toBe('audio/ogg; codecs=opus');
    expect(fs.readFileSync(voice!, 'utf8')).toBe('OggS voice');

    await alice.sendSticker(Buffer.from('RIFF....WEBP'));
    const [sticker, stype, , sraw] = (await nextText(alice, 3)).split('|');
    expect([stype, sraw]).toEqual(['image/webp', '<media:sticker>']);
    expect(sticker!.endsWith('.webp')).toBe(true);
    expect(fs.readFileSync(sticker!, 'utf8')).toBe('RIFF....WEBP');

    await alice.sendVideo(Buffer.alloc(2 * 1024 * 1024, 9), { caption: 'look' });
    const [clip, ctype, , craw] = (await nextText(alice, 4)).split('|');
    expect([ctype, craw]).toEqual(['video/mp4', 'look']);
    expect(fs.readFileSync(clip!).equals(Buffer.alloc(2 * 1024 * 1024, 9))).toBe(true);
  }, 60_000);

  it('a 60 MB video over mediaMaxMb 50 is not saved, the agent gets the note, memory stays bounded', async () => {
    const h = await start(50);
    const bob = h.sim.contact('+15557771002', { name: 'Bob' });
    let video: Buffer | null = Buffer.alloc(60 * MB, 3);
    await bob.sendVideo(video);
    video = null;
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sample = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    try {
      const [p, type, , raw] = (await nextText(bob, 0)).split('|');
      expect(p).toBe('');
      expect(type).toBe('video/mp4');
      expect(raw).toBe('<media:video> (not saved: 60 MB is over the 50 MB limit)');
    } finally {
      clearInterval(sample);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(peak - baseline).toBeLessThan(25 * MB);
    expect(fs.existsSync(`${h.home}/media/inbound`) ? fs.readdirSync(`${h.home}/media/inbound`) : []).toEqual([]);
  }, 60_000);
});
