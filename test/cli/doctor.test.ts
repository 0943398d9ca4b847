import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkConfig, checkFfmpeg } from '../../src/cli/doctor-checks.js';
import { defaultConfig, validateConfig } from '../../src/config/index.js';
import { startGateway, type Gateway } from '../../src/gateway/supervisor.js';
import { importStateFiles } from '../../src/state-import.js';
import { silentLogger } from '../../src/log.js';
import { runCli } from '../helpers/cli.js';
import { FakeTransportFactory } from '../helpers/fake-transport.js';
import Database from 'better-sqlite3';
import { openSqliteStore, storeFile } from '../../src/store/sqlite.js';
import { importAuthDir } from '../../src/whatsapp/auth-import.js';
import { serializeCreds } from '../../src/whatsapp/auth-creds.js';
import { initAuthCreds } from '../../src/whatsapp/baileys-auth.js';
import { makeLinkedDir } from '../whatsapp/helpers/auth-fixtures.js';
import { freePort } from '../helpers/net.js';
import { tmpDir } from '../helpers/tmp.js';

const gateways: Gateway[] = [];
afterEach(async () => {
  for (const g of gateways.splice(0)) await g.stop();
});


interface Home {
  dir: string;
  env: Record<string, string>;
  config: Record<string, any>;
}

/** A private temp state dir with a config whose gateway port is free. */
async function home(config: Record<string, any> = {}): Promise<Home> {
  const dir = tmpDir('doctor');
  const full = { ...config, gateway: { port: await freePort(), ...config.gateway } };
  fs.writeFileSync(path.join(dir, 'wagate.json'), JSON.stringify(full));
  return { dir, env: { WAGATE_HOME: dir, HOME: dir }, config: full };
}

interface Check {
  id: string;
  status: 'ok' | 'warn' | 'fail';
  message: string;
  fix?: string;
}

async function doctor(h: Home, ...args: string[]): Promise<{ code: number; report: { ok: boolean; checks: Check[] } }> {
  const r = await runCli(['doctor', '--json', ...args], h.env);
  return { code: r.code, report: JSON.parse(r.stdout) };
}

function check(report: { checks: Check[] }, id: string): Check {
  const c = report.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id} in ${report.checks.map((x) => x.id).join(', ')}`);
  return c;
}

const mode = (p: string) => fs.statSync(p).mode & 0o777;
const authDir = (h: Home, id: string) => path.join(h.dir, 'credentials', 'whatsapp', id);

describe('wagate doctor: config and state dir', () => {
  it('no config file is ok ("all defaults"); a missing state dir is a warning', () => {
    const dir = tmpDir('doctor');
    const r = checkConfig(undefined, { WAGATE_HOME: path.join(dir, 'nope') });
    expect(r.result).toMatchObject({ id: 'config', status: 'ok' });
    expect(r.result.message).toMatch(/no config file at .*nope\/wagate\.json: all defaults/);
    expect(r.config?.gateway.port).toBe(18789);
  });

  it('a missing state dir warns (config via --config)', async () => {
    const h = await home();
    const env = { WAGATE_HOME: path.join(h.dir, 'state'), HOME: h.dir };
    const r = await runCli(['--config', path.join(h.dir, 'wagate.json'), 'doctor', '--json'], env);
    const report = JSON.parse(r.stdout);
    expect(check(report, 'state-dir')).toMatchObject({ status: 'warn', message: expect.stringContaining('does not exist yet') });
    expect(check(report, 'config').status).toBe('ok');
    expect(r.code).toBe(0);
  });

  it('an invalid config fails with its message, exit 1, and skips the checks that need it', async () => {
    const h = await home({ channels: { whatsapp: { dmPolicy: 'opne' } } });
    const { code, report } = await doctor(h);
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    const c = check(report, 'config');
    expect(c.status).toBe('fail');
    expect(c.message).toContain('channels.whatsapp.dmPolicy');
    expect(c.fix).toBeTruthy();
    expect(report.checks.map((x) => x.id)).toEqual(['config', 'state-dir', 'token-file']);
  });

  it('a group/world-writable state dir fails; a loose token file warns; --fix repairs both', async () => {
    const h = await home();
    fs.chmodSync(h.dir, 0o777);
    const token = path.join(h.dir, 'gateway.token');
    fs.writeFileSync(token, 'secret\n');
    fs.chmodSync(token, 0o644);
    const before = await doctor(h);
    expect(before.code).toBe(1);
    expect(check(before.report, 'state-dir')).toMatchObject({ status: 'fail', fix: expect.stringContaining('chmod 700') });
    expect(check(before.report, 'token-file')).toMatchObject({ status: 'warn', fix: expect.stringContaining('chmod 600') });
    expect(mode(h.dir)).toBe(0o777);

    const fixed = await doctor(h, '--fix');
    expect(check(fixed.report, 'state-dir')).toMatchObject({ status: 'ok', message: expect.stringContaining('fixed') });
    expect(check(fixed.report, 'token-file')).toMatchObject({ status: 'ok', message: expect.stringContaining('fixed') });
    expect(mode(h.dir)).toBe(0o700);
    expect(mode(token)).toBe(0o600);
    expect(fixed.code).toBe(0);
    const after = await doctor(h);
    expect(check(after.report, 'state-dir').status).toBe('ok');
    expect(check(after.report, 'token-file').message).toContain('(600)');
  });

  it('a state dir that is a file fails', async () => {
    const h = await home();
    const file = path.join(h.dir, 'file');
    fs.writeFileSync(file, '');
    const r = await runCli(['--config', path.join(h.dir, 'wagate.json'), 'doctor', '--json'], { WAGATE_HOME: file, HOME: h.dir });
    expect(r.code).toBe(1);
    expect(check(JSON.parse(r.stdout), 'state-dir')).toMatchObject({ status: 'fail', message: expect.stringContaining('not a directory') });
  });
});

/** Put linked (or unusable) creds for `accountId` into the state dir's store, as the gateway would. */
async function storeCreds(h: Home, accountId: string, json: string): Promise<void> {
  const store = await openSqliteStore({ file: storeFile(h.dir) });
  try {
    await store.creds.save(accountId, json);
  } finally {
    await store.close();
  }
}

function linkedCredsJson(me = '15550001111:7@s.whatsapp.net'): string {
  const creds = initAuthCreds();
  creds.me = { id: me, name: 'Test' };
  return serializeCreds(creds);
}

describe('wagate doctor: the store and creds', () => {
  it('reports each enabled account: linked in the store, not linked, damaged, an old dir not imported yet', async () => {
    const h = await home({
      channels: { whatsapp: { accounts: { work: {}, home: {}, bad: {}, rest: {}, torn: {}, off: { enabled: false } } } },
    });
    fs.chmodSync(h.dir, 0o700);
    await storeCreds(h, 'work', linkedCredsJson());
    await storeCreds(h, 'torn', '{"torn');
    fs.mkdirSync(authDir(h, 'bad'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(authDir(h, 'bad'), 'creds.json'), '{"torn', { mode: 0o600 });
    await makeLinkedDir(authDir(h, 'rest'));
    fs.writeFileSync(path.join(authDir(h, 'rest'), 'creds.json'), '', { mode: 0o600 });

    const { code, report } = await doctor(h);
    expect(code).toBe(1);
    expect(check(report, 'store')).toMatchObject({ status: 'ok', message: expect.stringMatching(/wagate\.db: integrity ok, schema version \d+ \(this build knows \d+\), mode 600/) });
    expect(check(report, 'creds:work')).toEqual({ id: 'creds:work', status: 'ok', message: 'linked as 15550001111:7@s.whatsapp.net (in the store)' });
    expect(check(report, 'creds:home')).toMatchObject({
      status: 'warn',
      message: 'Not linked: no creds in the store',
      fix: 'run `wagate channels login --account home`',
    });
    expect(check(report, 'creds:bad')).toMatchObject({ status: 'fail', message: expect.stringContaining('not imported: creds.json is corrupt and the backup is missing') });
    expect(check(report, 'creds:bad').fix).toContain('wagate channels logout --account bad');
    expect(check(report, 'creds:torn')).toMatchObject({ status: 'fail', message: expect.stringContaining('are not valid credentials JSON') });
    expect(check(report, 'creds:rest')).toMatchObject({ status: 'ok', message: expect.stringContaining('from creds.json.bak, imported into the store when') });
    expect(report.checks.some((c) => c.id.endsWith(':off'))).toBe(false);
  });

  it('no store yet is fine; a file that is not a store fails with WAGATE_ERR_STORE; a newer schema with WAGATE_ERR_STORE_VERSION', async () => {
    const h = await home();
    fs.chmodSync(h.dir, 0o700);
    expect(check((await doctor(h)).report, 'store')).toMatchObject({ status: 'ok', message: expect.stringContaining('no store yet') });
    expect(fs.existsSync(storeFile(h.dir))).toBe(false); // doctor does not create it

    fs.writeFileSync(storeFile(h.dir), 'not a database, but long enough to have a header of sorts…'.repeat(20), { mode: 0o600 });
    const bad = await doctor(h);
    expect(bad.code).toBe(1);
    expect(check(bad.report, 'store')).toMatchObject({ status: 'fail', message: expect.stringContaining('WAGATE_ERR_STORE') });

    fs.rmSync(storeFile(h.dir));
    await storeCreds(h, 'default', linkedCredsJson());
    const db = new Database(storeFile(h.dir));
    db.prepare('INSERT INTO wagate_schema (version, name, applied_at) VALUES (999, ?, 0)').run('from the future');
    db.close();
    const newer = await doctor(h);
    expect(check(newer.report, 'store')).toMatchObject({ status: 'fail', message: expect.stringContaining('WAGATE_ERR_STORE_VERSION') });
    expect(check(newer.report, 'store').fix).toContain('newer wagate');
  });

  it('the human output is one line per check with a symbol and the fix', async () => {
    const h = await home();
    fs.chmodSync(h.dir, 0o700);
    const r = await runCli(['doctor'], h.env);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toContain('! creds:default: Not linked: no creds in the store — fix: run `wagate channels login`');
    expect(lines.find((l) => l.startsWith('✓ config:'))).toContain('is valid');
    expect(lines.find((l) => l.startsWith('! gateway:'))).toMatch(/gateway not running at ws:\/\/127\.0\.0\.1:\d+ — fix: start it with `wagate gateway`/);
    expect(lines.at(-1)).toMatch(/^0 failed, \d+ warning\(s\)\.$/);
  });
});

describe('wagate doctor: ffmpeg', () => {
  /** A fake ffmpeg that only answers -version. */
  function fakeFfmpeg(h: Home, name = 'ffmpeg', mode = 0o755): string {
    const bin = path.join(h.dir, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    const p = path.join(bin, name);
    fs.writeFileSync(p, '#!/bin/sh\necho "ffmpeg version 9.9-fake Copyright"\n', { mode });
    return p;
  }

  it('says which ffmpeg is used and where it came from: bundled, PATH, WAGATE_FFMPEG, media.ffmpegPath', async () => {
    const h = await home();
    const bundled = check((await doctor(h)).report, 'ffmpeg');
    expect(bundled).toMatchObject({ status: 'ok', message: expect.stringMatching(/^bundled: \S*@ffmpeg-installer\S*ffmpeg \(the npm package @ffmpeg-installer\/ffmpeg\), ffmpeg version \S+$/) });

    const fake = fakeFfmpeg(h);
    const onPath = await doctor({ ...h, env: { ...h.env, PATH: path.dirname(fake) } });
    expect(check(onPath.report, 'ffmpeg')).toMatchObject({ status: 'ok', message: `path: ${fake} (PATH), ffmpeg version 9.9-fake` });

    const forced = await doctor({ ...h, env: { ...h.env, PATH: path.dirname(fake), WAGATE_FFMPEG: 'bundled' } });
    expect(check(forced.report, 'ffmpeg').message).toMatch(/^bundled: .*WAGATE_FFMPEG=bundled/);

    const viaEnv = await doctor({ ...h, env: { ...h.env, WAGATE_FFMPEG: fake } });
    expect(check(viaEnv.report, 'ffmpeg')).toMatchObject({ status: 'ok', message: `env: ${fake} (WAGATE_FFMPEG), ffmpeg version 9.9-fake` });

    const h2 = await home({ media: { ffmpegPath: fake } });
    expect(check((await doctor(h2)).report, 'ffmpeg')).toMatchObject({ status: 'ok', message: `config: ${fake} (media.ffmpegPath), ffmpeg version 9.9-fake` });
  });

  it('a media.ffmpegPath that is missing or not executable fails, naming the key; exit 1', async () => {
    const h = await home({ media: { ffmpegPath: '/no/such/ffmpeg' } });
    const { code, report } = await doctor(h);
    expect(code).toBe(1);
    const c = check(report, 'ffmpeg');
    expect(c).toMatchObject({ status: 'fail', message: expect.stringMatching(/^media\.ffmpegPath: \/no\/such\/ffmpeg does not exist/) });
    expect(c.fix).toBeTruthy();

    const h2 = await home();
    const plain = fakeFfmpeg(h2, 'ffmpeg-plain', 0o644);
    fs.writeFileSync(path.join(h2.dir, 'wagate.json'), JSON.stringify({ ...h2.config, media: { ffmpegPath: plain } }));
    expect(check((await doctor(h2)).report, 'ffmpeg')).toMatchObject({ status: 'fail', message: `media.ffmpegPath: ${plain} is not an executable file; point it at an ffmpeg binary, or remove it to use ffmpeg from PATH or the bundled one.` });
  });

  it('a binary that does not run fails; no ffmpeg at all is a warning (audio goes as plain files)', async () => {
    const h = await home();
    const broken = path.join(h.dir, 'broken');
    fs.writeFileSync(broken, '#!/bin/sh\nexit 3\n', { mode: 0o755 });
    expect(await checkFfmpeg(defaultConfig(), { WAGATE_FFMPEG: broken })).toMatchObject({ status: 'fail', message: expect.stringContaining('does not run') });
    const none = await checkFfmpeg(defaultConfig(), { PATH: h.dir }, () => null);
    expect(none).toMatchObject({ status: 'warn', message: expect.stringMatching(/^none: .*not voice notes/), fix: expect.stringContaining('media.ffmpegPath') });
  });
});

describe('wagate doctor: old auth dirs', () => {
  async function legacyHome(): Promise<{ h: Home; creds: string }> {
    const h = await home();
    fs.chmodSync(h.dir, 0o700);
    const creds = path.join(h.dir, 'credentials');
    await makeLinkedDir(creds);
    fs.writeFileSync(path.join(creds, 'pre-key-1.json'), '{}', { mode: 0o600 });
    fs.writeFileSync(path.join(creds, 'whatsapp-allowFrom.json'), '{}', { mode: 0o600 });
    return { h, creds };
  }

  it('legacy creds not imported yet belong to the default account and are imported at the next start', async () => {
    const { h, creds } = await legacyHome();
    const { report } = await doctor(h);
    expect(check(report, 'creds:default')).toMatchObject({ status: 'ok', message: expect.stringContaining(`in ${creds} (legacy layout), imported into the store when`) });
    expect(check(report, 'imported')).toMatchObject({ status: 'ok', message: 'no old auth directories or state files left over' });
  });

  it('lists the directories moved aside after an import (they can be removed), and warns about Baileys files the store made unused', async () => {
    const { h, creds } = await legacyHome();
    const store = await openSqliteStore({ file: storeFile(h.dir) });
    try {
      await importAuthDir({ store, accountId: 'default', dir: creds, log: silentLogger() });
    } finally {
      await store.close();
    }
    const moved = fs.readdirSync(h.dir).filter((n) => n.startsWith('credentials.imported-'));
    expect(moved).toHaveLength(1);
    expect(fs.readdirSync(creds)).toEqual(['whatsapp-allowFrom.json']);
    // A copy of old files put back in the account's dir is not used: the store has the creds.
    await makeLinkedDir(authDir(h, 'default'));
    const { code, report } = await doctor(h);
    expect(code).toBe(0);
    const imported = check(report, 'imported');
    expect(imported.status).toBe('ok');
    expect(imported.message).toContain(path.join(h.dir, moved[0]!));
    expect(imported.message).toContain('can be removed');
    expect(check(report, 'creds:default')).toMatchObject({ status: 'ok', message: 'linked as 15550001111:7@s.whatsapp.net (in the store)' });
    expect(check(report, 'old-auth:default')).toMatchObject({ status: 'warn', message: expect.stringContaining('2 Baileys file(s)') });
  });

  it('lists the access-side files moved aside after their import (pairing, allowFrom, dedupe, activation, connections)', async () => {
    const h = await home();
    fs.mkdirSync(path.join(h.dir, 'credentials'), { recursive: true });
    fs.mkdirSync(path.join(h.dir, 'whatsapp-dedupe'), { recursive: true });
    fs.writeFileSync(path.join(h.dir, 'credentials', 'whatsapp-allowFrom.json'), JSON.stringify({ version: 1, allowFrom: ['+15550002222'] }));
    fs.writeFileSync(path.join(h.dir, 'credentials', 'whatsapp-pairing.json'), JSON.stringify({ version: 1, requests: [] }));
    fs.writeFileSync(path.join(h.dir, 'whatsapp-dedupe', 'default.json'), JSON.stringify({ version: 1, keys: ['in|x|1'] }));
    fs.writeFileSync(path.join(h.dir, 'whatsapp-activation.json'), JSON.stringify({ version: 1, accounts: { default: { 'g@g.us': 'always' } } }));
    fs.writeFileSync(path.join(h.dir, 'whatsapp-connections.json'), JSON.stringify({ default: { linkedAt: 1, lastConnectedAt: 2 } }));
    const store = await openSqliteStore({ file: storeFile(h.dir) });
    try {
      expect(await importStateFiles({ store, stateDir: h.dir, log: silentLogger() })).toBe(5);
      expect(await store.pairing.approved()).toEqual(['+15550002222']);
      expect(await store.handled.has('default', 'in|x|1')).toBe(true);
      expect(await store.activations.get('default', 'g@g.us')).toBe('always');
      expect(await store.connections.get('default')).toEqual({ linkedAt: 1, lastConnectedAt: 2 });
      expect(await importStateFiles({ store, stateDir: h.dir, log: silentLogger() })).toBe(0); // once
    } finally {
      await store.close();
    }
    const imported = check((await doctor(h)).report, 'imported');
    expect(imported.message).toContain('5 old auth directories or files were imported');
    for (const f of ['credentials/whatsapp-allowFrom.json', 'credentials/whatsapp-pairing.json', 'whatsapp-dedupe/default.json', 'whatsapp-activation.json', 'whatsapp-connections.json']) {
      expect(imported.message).toContain(`${path.join(h.dir, f)}.imported-`);
    }
  });
});

async function startTestGateway(h: Home, transport: FakeTransportFactory, override: Record<string, any> = {}): Promise<Gateway> {
  const gw = await startGateway({
    config: validateConfig({ ...h.config, ...override }, path.join(h.dir, 'wagate.json')),
    configPath: path.join(h.dir, 'wagate.json'),
    stateDir: h.dir,
    env: h.env,
    transport,
    logger: silentLogger(),
    port: h.config.gateway.port,
    tickMs: 0,
  });
  gateways.push(gw);
  return gw;
}

describe('wagate doctor: gateway and account states', () => {
  it('reports each account state with its fix; logged-out and degraded fail, backing-off warns', async () => {
    const h = await home({
      web: { reconnect: { initialMs: 60_000, maxMs: 60_000 } },
      channels: { whatsapp: { accounts: { ok: {}, new: {}, gone: {}, flaky: {}, twin: {}, off: { enabled: false } } } },
    });
    fs.chmodSync(h.dir, 0o700);
    const t = new FakeTransportFactory({ ok: true, gone: true, flaky: true, twin: true });
    await startTestGateway(h, t);
    t.get('ok').current.open('+15550000001');
    t.get('gone').current.emit({ type: 'close', code: 401, reason: 'logged out' });
    t.get('flaky').current.open();
    t.get('flaky').current.emit({ type: 'close', code: 500, reason: 'bad session' });
    t.get('twin').current.open();
    t.get('twin').current.emit({ type: 'close', code: 440, reason: 'conflict' });

    const { code, report } = await doctor(h);
    expect(code).toBe(1);
    expect(check(report, 'gateway')).toMatchObject({ status: 'ok', message: expect.stringMatching(/^gateway reachable at ws:\/\/127\.0\.0\.1:\d+$/) });
    expect(check(report, 'account:ok')).toEqual({ id: 'account:ok', status: 'ok', message: 'connected as +15550000001' });
    expect(check(report, 'account:new')).toMatchObject({ status: 'warn', message: expect.stringContaining('Not linked'), fix: 'run `wagate channels login --account new`' });
    expect(check(report, 'account:gone')).toMatchObject({ status: 'fail', message: expect.stringContaining('Logged out') });
    expect(check(report, 'account:gone').fix).toContain('wagate channels login --account gone');
    expect(check(report, 'account:flaky')).toMatchObject({ status: 'warn', message: expect.stringContaining('backing-off') });
    expect(check(report, 'account:twin')).toMatchObject({ status: 'fail', message: expect.stringContaining('Conflict') });
    expect(check(report, 'account:twin').fix).toContain('another client uses this session');
    expect(check(report, 'account:off')).toMatchObject({ status: 'ok', message: 'disabled' });
  });

  it('all connected and linked on disk: every check ok and exit 0', async () => {
    const h = await home();
    fs.chmodSync(h.dir, 0o700);
    await storeCreds(h, 'default', linkedCredsJson());
    const t = new FakeTransportFactory({ default: true });
    await startTestGateway(h, t);
    t.get('default').current.open();
    const r = await runCli(['doctor'], h.env);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('All checks passed.');
    expect(r.code).toBe(0);
  });

  it('a token the gateway rejects fails with WAGATE_ERR_UNAUTHORIZED and the fix', async () => {
    const h = await home({ gateway: { auth: { token: 'not-the-token' } } });
    await startTestGateway(h, new FakeTransportFactory(), { gateway: { ...h.config.gateway, auth: { token: 'the-real-token' } } });
    const { code, report } = await doctor(h);
    expect(code).toBe(1);
    const c = check(report, 'gateway');
    expect(c.status).toBe('fail');
    expect(c.message).toContain('WAGATE_ERR_UNAUTHORIZED');
    expect(c.fix).toContain('gateway.auth.token');
    expect(report.checks.some((x) => x.id.startsWith('account:'))).toBe(false);
  });

  it('the token file of another state dir is rejected too, with a fix naming WAGATE_HOME', async () => {
    const h = await home();
    await startTestGateway(h, new FakeTransportFactory());
    fs.writeFileSync(path.join(h.dir, 'gateway.token'), 'stale-token\n', { mode: 0o600 });
    const { report } = await doctor(h);
    expect(check(report, 'gateway')).toMatchObject({ status: 'fail', fix: expect.stringContaining('WAGATE_HOME') });
  });
});

describe('wagate doctor: the WhatsApp Web version (no gateway: what the next connect starts from, never fetched)', () => {
  it('bundled with no store and no pin; the cached one from the store; web.version when pinned', async () => {
    const h = await home({ web: { versionUrl: 'http://127.0.0.1:9/sw.js' } });
    expect(check((await doctor(h)).report, 'web-version')).toMatchObject({
      status: 'ok',
      message: expect.stringMatching(/^next connect starts from 2\.3000\.\d+ \(bundled\); at connect the gateway fetches the current one from http:\/\/127\.0\.0\.1:9\/sw\.js/),
    });
    const store = await openSqliteStore({ file: storeFile(h.dir) });
    await store.webVersions.put({ url: 'http://127.0.0.1:9/sw.js', version: '2.3000.1234', fetchedAt: Date.now() - 3 * 3_600_000 });
    await store.close();
    expect(check((await doctor(h)).report, 'web-version').message).toMatch(/^next connect starts from 2\.3000\.1234 \(cache, fetched 3 h ago\)/);

    const pinned = await home({ web: { version: [2, 3000, 77] } });
    expect(check((await doctor(pinned)).report, 'web-version').message).toBe('next connect starts from 2.3000.77 (config), pinned by web.version');
  });
});
