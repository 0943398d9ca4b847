import { afterEach, describe, expect, it } from 'vitest';
import { connectControl } from '../../src/gateway/control-client.js';
import { readTokenFile } from '../../src/gateway/token.js';
import { runCli } from '../helpers/cli.js';
import { storeFile } from '../../src/state-layout.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { e2e, until, type E2E } from './harness.js';

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('linking through the gateway (real Baileys ↔ simulator)', () => {
  it('channels login links (the phone scans the printed QR), status says linked+connected, a restart reconnects from saved creds without a QR', async () => {
    h = await e2e({ channels: { whatsapp: { accounts: { work: {} } } } });
    const gw = await h.startGateway();
    expect(gw.accounts.get('work')!.state).toBe('unlinked');
    const res = await h.link('work', '+15550000001');
    expect(res.code).toBe(0);
    expect(res.lines[0]).toMatchObject({ event: 'qr', qr: expect.stringContaining(',') });
    expect(res.lines.at(-1)).toEqual({ event: 'linked', accountId: 'work', e164: '+15550000001', jid: expect.stringMatching(/^15550000001:\d+@s\.whatsapp\.net$/) });
    const status = JSON.parse((await runCli(['channels', 'status', '--json'], h.env)).stdout);
    expect(status.accounts[0]).toMatchObject({ accountId: 'work', linked: true, connected: true, state: 'connected', identity: { e164: '+15550000001' } });

    await h.stopGateway();
    const again = await h.startGateway();
    let qrs = 0;
    again.bus.on('account.qr.updated', () => void qrs++);
    await until(() => again.accounts.get('work')!.state === 'connected', 'reconnect from saved creds');
    expect(qrs).toBe(0);
    expect(again.accounts.get('work')!.context.identity).toMatchObject({ e164: '+15550000001' });
    const human = await runCli(['channels', 'status'], h.env);
    expect(human.stdout).toContain('work: enabled, linked +15550000001, state connected, connected');
    const probed = JSON.parse((await runCli(['channels', 'status', '--probe', '--json'], h.env)).stdout);
    expect(probed.accounts[0].probe).toEqual({ ok: true, ms: expect.any(Number) });
    expect((await runCli(['channels', 'status', '--probe'], h.env)).stdout).toMatch(/probe: WhatsApp answered in \d+ ms/);
  });

  it('web.deviceName is the name the companion registers with (what Linked Devices shows); default "wagate"', async () => {
    h = await e2e({ web: { deviceName: 'Office bot' } });
    await h.startGateway();
    expect((await h.link('default', '+15550000007')).code).toBe(0);
    expect(h.sim.hub.companions.get('15550000007')!.deviceName).toBe('Office bot');
    await h.close();
    h = await e2e();
    await h.startGateway();
    expect((await h.link('default', '+15550000008')).code).toBe(0);
    expect(h.sim.hub.companions.get('15550000008')!.deviceName).toBe('wagate');
  });

  it('channels login --json through the gateway prints each QR once; another control client also gets each login.qr once', async () => {
    h = await e2e();
    const gw = await h.startGateway();
    const issued: string[] = [];
    gw.bus.on('account.qr.updated', (ev) => void issued.push(ev.qr));
    const observer = await connectControl({ url: gw.control.url, token: readTokenFile(h.home), clientName: 'observer' });
    const observed: string[] = [];
    observer.onEvent((f) => {
      if (f.event === 'login.qr') observed.push((f.payload as { qr: string }).qr);
    });
    try {
      const res = await h.link('default', '+15550000004');
      expect(res.code).toBe(0);
      const printed = res.lines.filter((l) => l.event === 'qr').map((l) => l.qr);
      expect(issued.length).toBeGreaterThan(0);
      expect(printed).toEqual(issued);
      expect(res.lines.map((l) => l.event)).toEqual([...issued.map(() => 'qr'), 'linked']);
      // A request answered on the observer's socket comes after every event sent to it before.
      await observer.request('status', {});
      expect(observed).toEqual(issued);
    } finally {
      observer.close();
    }
  });

  it('logout unlinks the device at WhatsApp, removes the auth state, and status says "Not linked"', async () => {
    h = await e2e({ channels: { whatsapp: { accounts: { work: {} } } } });
    await h.startGateway();
    expect((await h.link('work', '+15550000002')).code).toBe(0);
    const out = await runCli(['channels', 'logout', '--account', 'work'], h.env);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/Logged out account work; removed:\n {2}.*wagate\.db: the creds and \d+ Signal key\(s\) of account work/);
    expect(await h.gateway!.store.creds.load('work')).toBeUndefined();
    expect(await h.gateway!.store.keys.count('work')).toEqual({});
    // WhatsApp was told too: the phone no longer lists the device.
    expect(h.sim.hub.companions.has('15550000002')).toBe(false);
    const status = await runCli(['channels', 'status'], h.env);
    expect(status.stdout).toContain('work: enabled, not linked');
    expect(status.stdout).toContain('Not linked: run `wagate channels login --account work`');
  });

  it('login in-process when no gateway runs, then the gateway starts connected', async () => {
    h = await e2e();
    const res = await h.link('default', '+15550000003');
    expect(res.code).toBe(0);
    expect(res.lines.at(-1)).toMatchObject({ event: 'linked', accountId: 'default', e164: '+15550000003' });
    // Baileys' own-LID work after the login (own LID mapping, own device list) landed
    // in the store before the login closed it.
    const store = await openSqliteStore({ file: storeFile(h.home) });
    try {
      const mapping = await store.keys.get('default', 'lid-mapping', ['15550000003']);
      expect(mapping.get('15550000003')).toMatch(/^"?\d+"?$/);
      expect((await store.keys.get('default', 'device-list', ['15550000003'])).size).toBe(1);
    } finally {
      await store.close();
    }
    const gw = await h.startGateway();
    await until(() => gw.accounts.get('default')!.state === 'connected', 'connected from creds saved by the CLI');
  });
});

describe('login failures', () => {
  it('nobody scans: one clear line and exit 1, in-process and through the gateway (--json error event)', async () => {
    h = await e2e();
    const alone = await runCli(['channels', 'login', '--timeout', '1'], h.env);
    expect(alone.code).toBe(1);
    expect(alone.stderr.trim()).toBe('wagate: login failed: No QR code was scanned within 1 s; run `wagate channels login` again.');
    expect(alone.stdout).toContain('Scan this QR in WhatsApp → Settings → Linked Devices');
    await h.startGateway();
    const viaGateway = await runCli(['channels', 'login', '--json', '--timeout', '1'], h.env);
    expect(viaGateway.code).toBe(1);
    const lines = viaGateway.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ event: 'qr' });
    expect(lines.at(-1)).toEqual({ event: 'error', accountId: 'default', code: 'WAGATE_ERR_LOGIN_TIMEOUT', message: expect.stringContaining('No QR code was scanned within 1 s') });
    // The gateway stopped linking: no more QR codes, back to unlinked.
    await until(() => h!.gateway!.accounts.get('default')!.state === 'unlinked', 'linking cancelled');
  });
});

describe('relinking', () => {
  it('after WhatsApp logged the device out (401), channels login shows a new QR and links again', async () => {
    h = await e2e({ channels: { whatsapp: { accounts: { work: {} } } } });
    const gw = await h.startGateway();
    expect((await h.link('work', '+15550000009')).code).toBe(0);
    const rt = gw.accounts.get('work')!;
    await until(() => rt.state === 'connected', 'connected');
    h.sim.kick('+15550000009', 401);
    await until(() => rt.state === 'logged-out', 'logged-out');
    const again = await h.link('work', '+15550000009');
    expect(again.code).toBe(0);
    expect(again.lines[0]).toMatchObject({ event: 'qr' });
    expect(again.lines.at(-1)).toMatchObject({ event: 'linked', e164: '+15550000009' });
    await until(() => rt.state === 'connected', 'connected again');
  });

  it('keep-alive: a connected account pings at Baileys\' 30 s interval, not in a loop; a configured interval is used', async () => {
    // An option passed as `undefined` replaced Baileys' default and pinged every millisecond.
    const pings = (user: string) => h!.sim.hub.companions.get(user)!.iqs['w:p get ping'] ?? 0;
    h = await e2e();
    const gw = await h.startGateway();
    expect((await h.link('default', '+15550000004')).code).toBe(0);
    await until(() => gw.accounts.get('default')!.state === 'connected', 'connected');
    // A ping loop would show during any stretch of traffic: three sends, each from the CLI to the phone.
    const pingsAt = pings('15550000004');
    const zoe = h.sim.contact('+15557770040', { name: 'Zoe' });
    for (const m of ['one', 'two', 'three']) {
      expect((await runCli(['message', 'send', '--to', '+15557770040', '-m', m], h.env)).code).toBe(0);
      const got = await zoe.nextMessage(10_000);
      expect(got.message.conversation ?? got.message.extendedTextMessage?.text).toBe(m);
    }
    expect(pings('15550000004') - pingsAt).toBe(0);
    await h.close();

    h = await e2e({}, { keepAliveIntervalMs: 150 });
    const gw2 = await h.startGateway();
    expect((await h.link('default', '+15550000005')).code).toBe(0);
    await until(() => gw2.accounts.get('default')!.state === 'connected', 'connected');
    await until(() => pings('15550000005') >= 2, 'two keep-alive pings at 150 ms');
  });
});
