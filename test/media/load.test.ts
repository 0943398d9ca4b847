import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSource } from '../../src/media/load.js';
import { MB, prepareMedia } from '../../src/media/prepare.js';
import { makeJpeg } from './fixtures.js';

let server: http.Server;
let base: string;
let jpg: Buffer;
beforeAll(async () => {
  jpg = await makeJpeg({ width: 320, height: 240 });
  server = http.createServer((req, res) => {
    if (req.url === '/photo.jpg') {
      // The header lies; the bytes decide.
      res.writeHead(200, { 'content-type': 'text/html' }).end(jpg);
    } else if (req.url === '/big.bin') {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(10 * MB) }).end();
    } else if (req.url === '/stream') {
      // No content-length: the bound applies while reading.
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      res.write(Buffer.alloc(64 * 1024, 1));
      res.end(Buffer.alloc(64 * 1024, 1));
    } else if (req.url === '/page.jpg') {
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end('<html>not found</html>');
    } else if (req.url === '/hang') {
      res.writeHead(200);
      res.write('x'); // never ends
    } else res.writeHead(404).end('nope');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const opts = { maxBytes: 100 * 1024, timeoutMs: 2000 };

describe('loadSource from a URL', () => {
  it('downloads the bytes and names the item after the path', async () => {
    const got = await loadSource({ url: `${base}/photo.jpg` }, opts);
    expect(got.data.equals(jpg)).toBe(true);
    expect(got.name).toBe('photo.jpg');
  });

  it('sniffs the type from the bytes, not the Content-Type header', async () => {
    const p = await prepareMedia({ url: `${base}/photo.jpg` }, { capBytes: 5 * MB });
    expect(p.item).toMatchObject({ kind: 'image', mimetype: 'image/jpeg' });
  });

  it('a 404 is a clear WAGATE_ERR_MEDIA', async () => {
    await expect(loadSource({ url: `${base}/missing.jpg` }, opts)).rejects.toMatchObject({
      code: 'WAGATE_ERR_MEDIA',
      message: expect.stringMatching(/missing\.jpg: the server answered HTTP 404/),
    });
  });

  it('refuses a declared size over the bound before reading it', async () => {
    await expect(loadSource({ url: `${base}/big.bin` }, opts)).rejects.toMatchObject({
      code: 'WAGATE_ERR_MEDIA',
      message: expect.stringMatching(/too large \(10\.0 MB; limit 0\.1 MB\)/),
    });
  });

  it('stops reading an undeclared body once it passes the bound', async () => {
    await expect(loadSource({ url: `${base}/stream` }, opts)).rejects.toMatchObject({
      code: 'WAGATE_ERR_MEDIA',
      message: expect.stringMatching(/too large/),
    });
  });

  it('gives up on a download that takes too long', async () => {
    await expect(loadSource({ url: `${base}/hang` }, { ...opts, timeoutMs: 150 })).rejects.toMatchObject({
      code: 'WAGATE_ERR_MEDIA',
      message: expect.stringMatching(/longer than 0\.15s|no answer within/),
    });
  });

  it('an HTML page served as .jpg is not an image', async () => {
    await expect(prepareMedia({ url: `${base}/page.jpg` }, { capBytes: 5 * MB })).rejects.toMatchObject({
      code: 'WAGATE_ERR_MEDIA',
      message: expect.stringMatching(/named like an image/),
    });
  });

  it('only http and https; one source per item', async () => {
    await expect(loadSource({ url: 'file:///etc/passwd' }, opts)).rejects.toMatchObject({ code: 'WAGATE_ERR_MEDIA' });
    await expect(loadSource({ url: `${base}/photo.jpg`, path: '/tmp/x' }, opts)).rejects.toMatchObject({ code: 'WAGATE_ERR_MEDIA' });
    await expect(loadSource({}, opts)).rejects.toMatchObject({ code: 'WAGATE_ERR_MEDIA' });
  });
});
