/**
 * `proxy`: the account's WebSocket, media uploads and media downloads all go through
 * the configured proxy (an HTTP CONNECT proxy and a SOCKS5 proxy, both with
 * credentials, started on loopback by the test and counting the tunnels they carried).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startHttpConnectProxy, startSocks5Proxy, type TestProxy } from '../helpers/proxies.js';
import { e2e, textOf, until, type E2E } from './harness.js';

let h: E2E | null = null;
let proxy: TestProxy | null = null;
afterEach(async () => {
  await h?.close();
  await proxy?.close();
  h = null;
  proxy = null;
});

const BOT = '+15550008000';
/** Replies with `<MediaPath>|<RawBody>` from the envelope on stdin. */
const REPORTER = [
  "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{",
  'const e=JSON.parse(s).envelope;',
  "process.stdout.write([e.MediaPath||'',e.RawBody].join('|'));});",
].join('');

const hostPort = (url: string) => new URL(url).host;
const KINDS = [
  ['an HTTP CONNECT proxy', startHttpConnectProxy],
  ['a SOCKS5 proxy', startSocks5Proxy],
] as const;

describe.each(KINDS)('the account through %s (real Baileys ↔ simulator)', (_name, start) => {
  it('connects, a message round-trips, and media goes both ways — every byte through the proxy', async () => {
    proxy = await start({ user: 'wa', password: 's3cret pass' });
    h = await e2e({
      channels: { whatsapp: { dmPolicy: 'open', allowFrom: ['*'], accounts: { default: { proxy: proxy.url } } } },
      agents: { defaults: { model: { provider: 'command', command: [process.execPath, '-e', REPORTER] } } },
    });
    const gw = await h.startGateway();
    expect((await h.link('default', BOT)).code).toBe(0);
    await until(() => gw.accounts.get('default')!.state === 'connected', 'connected');
    const sim = hostPort(h.sim.url);
    // The login QR connection and the connection after the 515 restart: both tunnelled.
    expect(proxy.tunnels.filter((t) => t === sim).length).toBeGreaterThanOrEqual(2);
    expect(proxy.refused).toBe(0);

    const alice = h.sim.contact('+15557771201', { name: 'Alice' });
    await alice.send('hello through the proxy');
    await until(() => alice.inbox.length >= 1, 'a reply', 20_000);
    expect(textOf(alice.inbox[0]!)).toBe('|hello through the proxy');

    // Inbound media: the gateway downloads it (undici fetch) through the proxy.
    const bytes = Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7) % 256));
    await alice.sendImage(bytes, { mimetype: 'image/png' });
    await until(() => alice.inbox.length >= 2, 'a reply to the image', 20_000);
    const saved = textOf(alice.inbox[1]!).split('|')[0]!;
    expect(fs.readFileSync(saved).equals(bytes)).toBe(true);
    expect(proxy.tunnels).toContain(hostPort(h.sim.media.plainBase));

    // Outbound media: the upload (node https) goes through the proxy too.
    const doc = path.join(h.home, 'notes.txt');
    fs.writeFileSync(doc, 'proxied upload');
    const sent = await runCli(['message', 'send', '--to', '+15557771201', '--media', doc], h.env);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    await until(() => alice.inbox.length >= 3, 'the document', 20_000);
    expect(Buffer.from(await alice.download(alice.inbox[2]!.message)).toString()).toBe('proxied upload');
    expect(proxy.tunnels).toContain(h.sim.media.uploadHost);
  });

  it('wrong credentials: the proxy refuses and the account does not connect around it', async () => {
    proxy = await start({ user: 'wa', password: 'right' });
    const wrong = proxy.url.replace(':right@', ':wrong@');
    h = await e2e({ channels: { whatsapp: { dmPolicy: 'disabled', proxy: wrong } } });
    await h.startGateway();
    const res = await runCli(['channels', 'login', '--json', '--timeout', '3'], h.env);
    expect(res.code).not.toBe(0);
    expect(proxy.refused).toBeGreaterThanOrEqual(1);
    expect(proxy.tunnels).toEqual([]);
    expect(h.sim.hub.companions.size).toBe(0);
    expect(res.stdout + res.stderr).not.toContain(':wrong@');
  });
});
