import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { extensionFor } from '../../src/media/inbound-ext.js';
import { saveCapped } from '../../src/media/inbound-save.js';
import { MB, formatMb, saveInboundMedia } from '../../src/media/inbound.js';
import { inboundMediaDir } from '../../src/state-layout.js';
import type { InboundMessage } from '../../src/ports/inbound.js';
import type { Connection, MessageRef } from '../../src/ports/transport.js';
import { tmpDir } from '../helpers/tmp.js';

let dir: string;
beforeEach(() => {
  dir = tmpDir('media');
});

/** A lazy stream of `total` bytes in 64 KiB chunks (nothing is held ahead of the reader). */
function lazyBytes(total: number, fill = 7): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(64 * 1024, total - sent);
      sent += n;
      this.push(Buffer.alloc(n, fill));
    },
  });
}

describe('saveCapped', () => {
  it('saves the bytes as <sha256><ext> and leaves no temp file', async () => {
    const bytes = Buffer.from('hello media');
    const res = await saveCapped(Readable.from([bytes]), { dir, ext: '.jpg', maxBytes: 1000 });
    const sha = createHash('sha256').update(bytes).digest('hex');
    expect(res).toEqual({ ok: true, path: path.join(dir, `${sha}.jpg`), bytes: bytes.length, sha256: sha });
    expect(fs.readFileSync(path.join(dir, `${sha}.jpg`))).toEqual(bytes);
    expect(fs.readdirSync(dir)).toEqual([`${sha}.jpg`]);
  });

  it('a stream exactly at the cap is saved', async () => {
    const res = await saveCapped(lazyBytes(4096), { dir, ext: '.bin', maxBytes: 4096 });
    expect(res.ok).toBe(true);
  });

  it('cuts off a stream past the cap, deletes the partial file and stops reading', async () => {
    let produced = 0;
    const src = new Readable({
      read() {
        produced += 1024;
        this.push(Buffer.alloc(1024));
      },
    });
    const res = await saveCapped(src, { dir, ext: '.mp4', maxBytes: 10 * 1024 });
    expect(res).toEqual({ ok: false, reason: 'too-large', bytes: 11 * 1024 });
    expect(src.destroyed).toBe(true);
    expect(produced).toBeLessThan(200 * 1024);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('a 60 MB stream over a 50 MB cap never holds more than a few MB in memory', async () => {
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    let sent = 0;
    const src = new Readable({
      read() {
        peak = Math.max(peak, process.memoryUsage().rss);
        if (sent >= 60 * MB) return void this.push(null);
        sent += 64 * 1024;
        this.push(Buffer.alloc(64 * 1024, 1));
      },
    });
    const res = await saveCapped(src, { dir, ext: '.mp4', maxBytes: 50 * MB });
    expect(res.ok).toBe(false);
    // Below the 50 MB cap (let alone the 60 MB stream): nothing is buffered whole. The
    // margin is for garbage the 64 KiB chunks leave until GC runs on a loaded machine
    // (seen up to ~34 MB with the whole suite running on 2 cores).
    expect(peak - before).toBeLessThan(45 * MB);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('a source error deletes the partial file and rejects', async () => {
    const src = new Readable({
      read() {
        this.destroy(new Error('connection reset'));
      },
    });
    await expect(saveCapped(src, { dir, ext: '.jpg', maxBytes: 100 })).rejects.toThrow('connection reset');
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('extensionFor', () => {
  it.each([
    [{ kind: 'image', mimetype: 'image/jpeg' }, '.jpg'],
    [{ kind: 'audio', mimetype: 'audio/ogg; codecs=opus' }, '.ogg'],
    [{ kind: 'video', mimetype: 'video/mp4' }, '.mp4'],
    [{ kind: 'sticker', mimetype: 'image/webp' }, '.webp'],
    [{ kind: 'document', mimetype: 'application/pdf', fileName: 'Report.PDF' }, '.pdf'],
    [{ kind: 'document', mimetype: 'application/pdf', fileName: 'no-extension' }, '.pdf'],
    [{ kind: 'document', mimetype: 'application/x-weird+stuff', fileName: 'x.../' }, '.bin'],
    [{ kind: 'image', mimetype: '' }, '.jpg'],
  ] as const)('%j → %s', (media, ext) => {
    expect(extensionFor(media)).toBe(ext);
  });
});

function mediaMessage(over: Partial<InboundMessage> = {}): InboundMessage {
  return {
    accountId: 'default',
    id: 'MSG1',
    chatJid: '15551234567@s.whatsapp.net',
    chatId: '+15551234567',
    chatType: 'direct',
    from: { jid: '15551234567@s.whatsapp.net', e164: '+15551234567', lid: null, name: null },
    fromMe: false,
    timestamp: 0,
    upsertType: 'notify',
    offline: false,
    kind: 'media',
    text: '',
    placeholder: '<media:video>',
    media: { kind: 'video', mimetype: 'video/mp4', fileLength: 60 * MB },
    mentions: [],
    ...over,
  };
}

function connectionWith(download?: (ref: MessageRef) => Promise<Readable>): { conn: Connection; refs: MessageRef[] } {
  const refs: MessageRef[] = [];
  const conn = {
    ...(download
      ? {
          downloadMedia: (ref: MessageRef) => {
            refs.push(ref);
            return download(ref);
          },
        }
      : {}),
  } as unknown as Connection;
  return { conn, refs };
}

describe('saveInboundMedia', () => {
  const deps = (conn: Connection, maxMb = 50) => ({ stateDir: dir, connection: () => conn, maxMb: () => maxMb, logger: silentLogger() });

  it('an announced size over the cap is not fetched; the note says why', async () => {
    const { conn, refs } = connectionWith(async () => lazyBytes(10));
    const out = await saveInboundMedia(deps(conn), mediaMessage());
    expect(refs).toEqual([]);
    expect(out.mediaNote).toBe('not saved: 60 MB is over the 50 MB limit');
    expect(out.mediaPath).toBeUndefined();
  });

  it('saves under <state>/media/inbound with the message ref', async () => {
    const { conn, refs } = connectionWith(async () => Readable.from([Buffer.from('abc')]));
    const out = await saveInboundMedia(deps(conn), mediaMessage({ media: { kind: 'image', mimetype: 'image/png', fileLength: 3 } }));
    expect(refs).toEqual([{ chatJid: '15551234567@s.whatsapp.net', id: 'MSG1', fromMe: false }]);
    expect(path.dirname(out.mediaPath!)).toBe(inboundMediaDir(dir));
    expect(out.mediaPath!.endsWith('.png')).toBe(true);
    expect(fs.readFileSync(out.mediaPath!, 'utf8')).toBe('abc');
  });

  it('a size that lied is cut off at the cap with an "at least" note', async () => {
    const { conn } = connectionWith(async () => lazyBytes(2 * MB));
    const out = await saveInboundMedia(deps(conn, 1), mediaMessage({ media: { kind: 'video', mimetype: 'video/mp4', fileLength: 100 } }));
    expect(out.mediaNote).toMatch(/^not saved: more than 1(\.\d)? MB is over the 1 MB limit$/);
    expect(fs.readdirSync(inboundMediaDir(dir))).toEqual([]);
  });

  it('a failed download or a connection without downloads gives a note, never a throw', async () => {
    const failing = connectionWith(async () => {
      throw new Error('410 gone');
    });
    expect((await saveInboundMedia(deps(failing.conn), mediaMessage({ media: { kind: 'image', mimetype: 'image/jpeg' } }))).mediaNote).toBe(
      'not saved: the download failed',
    );
    const none = connectionWith();
    expect((await saveInboundMedia(deps(none.conn), mediaMessage({ media: { kind: 'image', mimetype: 'image/jpeg' } }))).mediaNote).toMatch(
      /^not saved: /,
    );
  });

  it('a message without media comes back unchanged', async () => {
    const { conn, refs } = connectionWith(async () => lazyBytes(1));
    const msg = mediaMessage({ kind: 'text', text: 'hi', media: undefined, placeholder: undefined });
    expect(await saveInboundMedia(deps(conn), msg)).toBe(msg);
    expect(refs).toEqual([]);
  });

  it('formats sizes with at most one decimal', () => {
    expect(formatMb(60 * MB)).toBe('60');
    expect(formatMb(1.55 * MB)).toBe('1.6');
    expect(formatMb(10)).toBe('0.1');
  });
});
