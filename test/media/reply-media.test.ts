import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WagateConfigInput } from '../../src/config/index.js';
import type { RunningActor } from '../../src/actors/actor.js';
import { replyMessageId } from '../../src/actors/reply-delivery.js';
import { replyHarness } from '../helpers/reply-harness.js';
import { tmpDir } from '../helpers/tmp.js';

let dir: string;
let red: string;
let blue: string;
beforeAll(async () => {
  dir = tmpDir('reply-media', { scope: 'file' });
  red = path.join(dir, 'red.png');
  blue = path.join(dir, 'blue.jpg');
  await writeFile(red, await sharp({ create: { width: 32, height: 32, channels: 3, background: '#f00' } }).png().toBuffer());
  await writeFile(blue, await sharp({ create: { width: 32, height: 32, channels: 3, background: '#00f' } }).jpeg().toBuffer());
});

let actor: RunningActor | null = null;
afterEach(() => {
  actor?.stop();
  actor = null;
});

/** The agent's media comes from `dir`: a configured media root. */
function setup(raw: WagateConfigInput = {}, connected = true) {
  const h = replyHarness({ ...raw, agents: { defaults: { mediaRoots: [dir] } } }, { connected });
  actor = h.actor;
  return h;
}

/** The id of part `i` of request r1 (parts: text chunks, then items, then warnings). */
const ids = (i: number) => replyMessageId('default', 'r1', i);

describe('reply delivery with media', () => {
  it('puts a one-chunk text as the caption of the first item only', async () => {
    const { conn, results, request } = setup();
    await request('two colours', { media: [{ path: red }, { path: blue, caption: 'dropped' }] });
    expect(conn.sent).toEqual([]);
    expect(conn.media.map((m) => [m.item.kind, m.item.mimetype, m.item.caption])).toEqual([
      ['image', 'image/png', 'two colours'],
      ['image', 'image/jpeg', undefined],
    ]);
    expect(results).toEqual([expect.objectContaining({ requestId: 'r1', messageIds: [ids(0), ids(1)] })]);
  });

  it('sends long text as chunks first, then the media with its own caption', async () => {
    const { conn, request } = setup({ channels: { whatsapp: { textChunkLimit: 20 } } });
    await request('first paragraph here\nsecond paragraph', { media: [{ path: red, caption: 'the red one' }] });
    expect(conn.sent.map((s) => s.text)).toEqual(['first paragraph here', 'second paragraph']);
    expect(conn.media).toHaveLength(1);
    expect(conn.media[0]!.item.caption).toBe('the red one');
  });

  it("an agent's item that cannot be sent becomes a text warning; the rest still goes", async () => {
    const { conn, results, request } = setup();
    await request('', { media: [{ path: path.join(dir, 'gone.png') }, { path: blue }] });
    expect(conn.media).toHaveLength(1);
    expect(conn.media[0]!.item.mimetype).toBe('image/jpeg');
    expect(conn.sent).toHaveLength(1);
    expect(conn.sent[0]!.text).toMatch(/^⚠️ could not send gone\.png: Media file .*gone\.png: no such file\.$/);
    expect(results[0]).toMatchObject({ requestId: 'r1', messageIds: [ids(0), ids(1)] });
  });

  it('a CLI send with an item that cannot be sent fails with WAGATE_ERR_MEDIA and sends nothing', async () => {
    const { conn, results, request } = setup();
    const fake = path.join(dir, 'fake.jpg');
    await writeFile(fake, 'not an image');
    await request('hello', { source: 'cli', media: [{ path: red }, { path: fake }] });
    expect(conn.sent).toEqual([]);
    expect(conn.media).toEqual([]);
    expect(results).toEqual([expect.objectContaining({ error: expect.objectContaining({ code: 'WAGATE_ERR_MEDIA' }) })]);
  });

  it('passes gifPlayback through and retries a transient media send', async () => {
    const { conn, results, request } = setup();
    const mp4 = path.join(dir, 'clip.mp4');
    // Minimal ISO-BMFF header: sniffed as MP4 (the fake transport does not play it).
    await writeFile(mp4, Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(12)]));
    conn.failNext.push(new Error('Connection Closed'));
    await request('', { source: 'cli', media: [{ path: mp4, gifPlayback: true }] });
    expect(conn.media).toHaveLength(1);
    expect(conn.media[0]!.item).toMatchObject({ kind: 'video', mimetype: 'video/mp4', gifPlayback: true });
    expect(results[0]).toMatchObject({ messageIds: [ids(0)] });
  }, 10_000);
});
