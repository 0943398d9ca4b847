/**
 * The control page's wiring in a real gateway (without a browser; the browser
 * tests are test/browser/): `wagate dashboard` prints a one-time link whose code
 * the page exchanges for a session cookie, which then opens the control
 * WebSocket; the page's methods answer.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { connectControl } from '../../src/gateway/control-client.js';
import { readTokenFile } from '../../src/gateway/token.js';
import { raw } from '../gateway/control-helpers.js';
import { runCli } from '../helpers/cli.js';
import { e2e, type E2E } from './harness.js';

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('the control page served by the gateway', () => {
  it('wagate dashboard → one-time code → session cookie → the WebSocket; the page methods answer', async () => {
    h = await e2e();
    const gw = await h.startGateway();
    const res = await runCli(['dashboard', '--json'], h.env);
    expect(res.code).toBe(0);
    const { url, expiresAt } = JSON.parse(res.stdout) as { url: string; expiresAt: number };
    expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${gw.control.port}/#code=[\\w-]+$`));
    expect(expiresAt).toBeGreaterThan(Date.now());
    const human = await runCli(['dashboard'], h.env);
    expect(human.stdout).toMatch(/signs you in once, within \d+ s/);

    const origin = `http://127.0.0.1:${gw.control.port}`;
    const page = await fetch(`${origin}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const code = new URL(url).hash.slice('#code='.length);
    const signIn = await fetch(`${origin}/ui/session`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
    expect(signIn.status).toBe(200);
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;

    const sock = await raw(gw.control.url, { headers: { cookie, origin } });
    sock.ws.send(JSON.stringify({ type: 'req', id: 1, method: 'connect', params: {} }));
    expect(await sock.next()).toMatchObject({ ok: true, payload: { type: 'hello-ok' } });
    // config.get reads the file as it is now: secrets redacted, a broken file is the CLI's one line.
    const file = JSON.parse(fs.readFileSync(h.configPath, 'utf8'));
    fs.writeFileSync(h.configPath, JSON.stringify({ ...file, gateway: { ...file.gateway, auth: { token: 'a-configured-token-0123456789' } } }));
    sock.ws.send(JSON.stringify({ type: 'req', id: 2, method: 'config.get', params: {} }));
    const cfg = await sock.next();
    expect(cfg.payload.config.gateway.auth.token).toBe('[redacted]');
    expect(JSON.stringify(cfg.payload)).not.toContain('a-configured-token');
    fs.writeFileSync(h.configPath, '{ dmPolicy: ');
    sock.ws.send(JSON.stringify({ type: 'req', id: 3, method: 'config.get', params: {} }));
    const broken = (await sock.next()).payload;
    expect(broken.config).toBeNull();
    const cli = await runCli(['channels', 'status'], h.env);
    expect(cli.stderr.trim()).toBe(`wagate: ${broken.error.message}`);
    sock.ws.close();

    const client = await connectControl({ url: gw.control.url, token: readTokenFile(h.home) });
    try {
      expect((await client.request('status', {})).accounts[0]).toHaveProperty('webVersion');
      expect((await client.request('account.graph', {})).states).toContain('connected');
      expect(await client.request('pairing.list', {})).toEqual({ requests: [] });
      expect(await client.request('logs.tail', {})).toEqual({ available: false, lines: [] });
      await expect(client.request('account.reconnect', { accountId: 'default' })).rejects.toMatchObject({ code: 'WAGATE_ERR_BAD_REQUEST' });
    } finally {
      client.close();
    }
  });
});
