/**
 * What agent media may read (SPEC §7, README "Security → Agent media"): paths
 * inside the media roots only (after symlinks and `..`), never the gateway's
 * secrets (not even for the owner's CLI send), and no URL that reaches a
 * loopback/private/metadata address — checked after DNS and on every redirect.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo, LookupFunction } from 'node:net';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WagateConfigInput } from '../../src/config/index.js';
import type { RunningActor } from '../../src/actors/actor.js';
import { blockedRange } from '../../src/media/address.js';
import { replyHarness, type ReplyHarnessOptions } from '../helpers/reply-harness.js';
import { tmpDir } from '../helpers/tmp.js';

let png: Buffer;
let server: http.Server;
let port: number;
let base: string;
beforeAll(async () => {
  png = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#0a0' } }).png().toBuffer();
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/photo.png') res.writeHead(200, { 'content-type': 'image/png' }).end(png);
    else if (url.pathname === '/to') res.writeHead(302, { location: url.searchParams.get('u') ?? '/' }).end();
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

let actor: RunningActor | null = null;
afterEach(() => {
  actor?.stop();
  actor = null;
});

const tempDir = (label: string) => fs.realpathSync(tmpDir(label));

/** A state dir with the gateway's secrets and a media folder, and a folder outside it. */
function world() {
  const state = tempDir('access-state');
  const outside = tempDir('access-outside');
  const put = (rel: string, data: Buffer | string) => {
    const p = path.join(state, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, data);
    return p;
  };
  const secrets = {
    token: put('gateway.token', 'tok-SECRET-123\n'),
    creds: put('credentials/whatsapp/default/creds.json', '{"noiseKey":"SECRET"}'),
    pairing: put('credentials/whatsapp-pairing.json', '{}'),
    history: put('whatsapp-connections.json', '{}'),
    session: put('agents/main/sessions/agent_main_main.jsonl', '{"text":"SECRET"}\n'),
    config: put('wagate.json', '{}'),
  };
  const inRoot = put('media/out/ok.png', png);
  const outsidePng = path.join(outside, 'elsewhere.png');
  fs.writeFileSync(outsidePng, png);
  return { state, outside, secrets, inRoot, outsidePng };
}

function setup(state: string, raw: WagateConfigInput = {}, opts: ReplyHarnessOptions = {}) {
  const h = replyHarness(raw, { stateDir: state, ...opts });
  actor = h.actor;
  return h;
}

const warnings = (h: ReturnType<typeof setup>) => h.conn.sent.map((s) => s.text);

describe('agent media paths', () => {
  it('a file in <state>/media is sent; a file outside the roots is refused with a clear warning', async () => {
    const w = world();
    const h = setup(w.state);
    await h.request('', { media: [{ path: w.inRoot }, { path: w.outsidePng }, { path: '/etc/passwd' }] });
    expect(h.conn.media).toHaveLength(1);
    expect(warnings(h)).toEqual([
      expect.stringMatching(/^⚠️ could not send elsewhere\.png: .*refused: agent media must be inside .*\/media \(agents\.defaults\.mediaRoots adds folders\)/),
      expect.stringMatching(/^⚠️ could not send passwd: .*refused: agent media must be inside/),
    ]);
  });

  it('agents.defaults.mediaRoots adds a folder; a relative agent path is taken inside <state>/media', async () => {
    const w = world();
    const h = setup(w.state, { agents: { defaults: { mediaRoots: [w.outside] } } });
    await h.request('', { media: [{ path: w.outsidePng }, { path: 'out/ok.png' }] });
    expect(h.conn.media).toHaveLength(2);
    expect(h.conn.sent).toEqual([]);
  });

  it('a symlink or .. inside a root that leads outside it is refused', async () => {
    const w = world();
    fs.symlinkSync(w.outsidePng, path.join(w.state, 'media', 'link.png'));
    fs.symlinkSync(w.outside, path.join(w.state, 'media', 'dirlink'));
    const h = setup(w.state);
    const dotdot = path.join(w.state, 'media', '..', '..', path.basename(w.outside), 'elsewhere.png');
    await h.request('', {
      media: [{ path: path.join(w.state, 'media', 'link.png') }, { path: path.join(w.state, 'media', 'dirlink', 'elsewhere.png') }, { path: dotdot }],
    });
    expect(h.conn.media).toEqual([]);
    expect(warnings(h)).toHaveLength(3);
    for (const text of warnings(h)) expect(text).toMatch(/refused: agent media must be inside/);
  });

  it("the state dir's credentials, token, stores, sessions and config are refused even when a root includes the state dir", async () => {
    const w = world();
    fs.symlinkSync(w.secrets.token, path.join(w.state, 'media', 'innocent.png'));
    const h = setup(w.state, { agents: { defaults: { mediaRoots: [w.state] } } });
    const all = [...Object.values(w.secrets), path.join(w.state, 'media', 'innocent.png')];
    await h.request('', { media: all.map((p) => ({ path: p })) });
    expect(h.conn.media).toEqual([]);
    expect(warnings(h)).toHaveLength(all.length);
    for (const text of warnings(h)) {
      expect(text).toMatch(/refused: it is one of the gateway's credentials, token, config or stores; it is never sent/);
      expect(text).not.toContain('SECRET');
    }
  });

  it("the owner's CLI send reads any path, but never the gateway's secrets or /proc", async () => {
    const w = world();
    const h = setup(w.state);
    await h.request('', { source: 'cli', media: [{ path: w.outsidePng }] });
    expect(h.conn.media).toHaveLength(1);
    for (const p of [w.secrets.token, w.secrets.creds, '/proc/self/environ']) {
      await h.request('', { source: 'cli', media: [{ path: p }] });
    }
    expect(h.conn.media).toHaveLength(1);
    expect(h.results.slice(1).map((r) => ('error' in r ? r.error.message : 'sent'))).toEqual([
      expect.stringMatching(/gateway\.token: refused: it is one of the gateway's/),
      expect.stringMatching(/creds\.json: refused: it is one of the gateway's/),
      expect.stringMatching(/environ: refused: it is under \/proc/),
    ]);
  });
});

describe('agent media URLs', () => {
  it('a loopback URL is refused for an agent, allowed by mediaAllowPrivateUrls and for the CLI', async () => {
    const w = world();
    const h = setup(w.state);
    await h.request('', { media: [{ url: `${base}/photo.png` }, { url: `http://[::1]:${port}/photo.png` }] });
    expect(h.conn.media).toEqual([]);
    expect(warnings(h)).toEqual([
      expect.stringMatching(/could not send photo\.png: Media URL .*: refused: 127\.0\.0\.1 is a loopback address, which agent media may not reach \(agents\.defaults\.mediaAllowPrivateUrls allows it\)\.$/),
      expect.stringMatching(/refused: ::1 is a loopback address/),
    ]);
    await h.request('', { source: 'cli', media: [{ url: `${base}/photo.png` }] });
    expect(h.conn.media).toHaveLength(1);
    actor?.stop();
    const allowed = setup(w.state, { agents: { defaults: { mediaAllowPrivateUrls: true } } });
    await allowed.request('', { media: [{ url: `${base}/photo.png` }] });
    expect(allowed.conn.media).toHaveLength(1);
  });

  it('a host name is checked after DNS: localhost and a name that resolves to 127.0.0.1 are refused', async () => {
    const w = world();
    const lookup: LookupFunction = (host, opts, cb) => {
      if (host === 'photos.example.test') (cb as any)(null, [{ address: '127.0.0.1', family: 4 }]);
      else (cb as any)(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }));
    };
    const h = setup(w.state, {}, { mediaAccess: { lookup } });
    await h.request('', { media: [{ url: `http://photos.example.test:${port}/photo.png` }] });
    expect(warnings(h)).toEqual([expect.stringMatching(/refused: photos\.example\.test \(127\.0\.0\.1\) is a loopback address/)]);
    actor?.stop();
    const real = setup(w.state);
    await real.request('', { media: [{ url: `http://localhost:${port}/photo.png` }] });
    expect(real.conn.media).toEqual([]);
    expect(warnings(real)).toEqual([expect.stringMatching(/refused: localhost \((127\.0\.0\.1|::1)\) is a loopback address/)]);
  });

  it('the connection goes to the address that was checked (one lookup per hop, no second resolution)', async () => {
    const w = world();
    const asked: string[] = [];
    // Stand-in for DNS: the name exists only here, so a download proves the checked answer was used.
    const lookup: LookupFunction = (host, _opts, cb) => {
      asked.push(host);
      (cb as any)(null, [{ address: '127.0.0.1', family: 4 }]);
    };
    // 127.0.0.1 plays a public server here; every other range stays blocked.
    const publicLoopback = (ip: string) => (ip === '127.0.0.1' ? null : blockedRange(ip));
    const h = setup(w.state, {}, { mediaAccess: { lookup, blockedRange: publicLoopback } });
    await h.request('', { media: [{ url: `http://cdn.example.test:${port}/photo.png` }] });
    expect(h.conn.media).toHaveLength(1);
    expect(asked).toEqual(['cdn.example.test']);
  });

  it('every redirect is checked: to loopback, to the metadata address, to a name that resolves privately', async () => {
    const w = world();
    const lookup: LookupFunction = (host, _opts, cb) => {
      if (host === 'inside.example.test') (cb as any)(null, [{ address: '10.1.2.3', family: 4 }]);
      else (cb as any)(null, [{ address: '127.0.0.1', family: 4 }]);
    };
    const publicLoopback = (ip: string) => (ip === '127.0.0.1' ? null : blockedRange(ip));
    const h = setup(w.state, {}, { mediaAccess: { lookup, blockedRange: publicLoopback } });
    const via = (target: string) => ({ url: `${base}/to?u=${encodeURIComponent(target)}` });
    await h.request('', {
      media: [
        via(`http://127.0.0.2:${port}/photo.png`),
        via('http://169.254.169.254/latest/meta-data/iam/security-credentials/'),
        via(`http://inside.example.test:${port}/photo.png`),
        via(`http://[::ffff:127.0.0.3]:${port}/photo.png`),
        via(`${base}/photo.png`),
      ],
    });
    expect(h.conn.media).toHaveLength(1); // only the redirect to the "public" server
    expect(warnings(h)).toEqual([
      expect.stringMatching(/refused: 127\.0\.0\.2 is a loopback address/),
      expect.stringMatching(/refused: 169\.254\.169\.254 is a cloud metadata address/),
      expect.stringMatching(/refused: inside\.example\.test \(10\.1\.2\.3\) is a private address/),
      expect.stringMatching(/refused: ::ffff:7f00:3 is a loopback address/),
    ]);
  });

  it('redirects are bounded', async () => {
    const w = world();
    const h = setup(w.state, { agents: { defaults: { mediaAllowPrivateUrls: true } } });
    let url = `${base}/photo.png`;
    for (let i = 0; i < 6; i++) url = `${base}/to?u=${encodeURIComponent(url)}`;
    await h.request('', { media: [{ url }] });
    expect(warnings(h)).toEqual([expect.stringMatching(/more than 5 redirects/)]);
  });
});
