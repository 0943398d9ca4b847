import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkConfig, checkFfmpeg } from '../../src/cli/doctor-checks.js';
import { defaultConfig, validateConfig } from '../../src/config/index.js';
import { startGateway, type Gateway } from '../../src/gateway/supervisor.js';
import { silentLogger } from '../../src/log.js';
import { runCli } from '../helpers/cli.js';
import { FakeTransportFactory } from '../helpers/fake-transport.js';
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

describe('wagate doctor: creds', () => {
  it('reports each enabled account: linked, not linked, corrupt without backup, restorable from backup', async () => {
    const h = await home({
      channels: { whatsapp: { accounts: { work: {}, home: {}, bad: {}, rest: {}, off: { enabled: false } } } },
    });
    fs.chmodSync(h.dir, 0o700);
    await makeLinkedDir(authDir(h, 'work'));
    fs.mkdirSync(authDir(h, 'bad'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(authDir(h, 'bad'), 'creds.json'), '{"torn', { mode: 0o600 });
    await makeLinkedDir(authDir(h, 'rest'));
    fs.writeFileSync(path.join(authDir(h, 'rest'), 'creds.json'), '', { mode: 0o600 });

    const { code, report } = await doctor(h);
    expect(code).toBe(1);
    expect(check(report, 'creds:work')).toMatchObject({ status: 'ok' });
    expect(check(report, 'creds:work').message).toMatch(/linked as 15550001111:7@s\.whatsapp\.net .*backup present/);
    expect(check(report, 'creds:home')).toMatchObject({
      status: 'warn',
      message: expect.stringContaining('Not linked'),
      fix: 'run `wagate channels login --account home`',
    });
    expect(check(report, 'creds:bad')).toMatchObject({ status: 'fail', message: expect.stringContaining('creds.json is corrupt and the backup is missing') });
    expect(check(report, 'creds:bad').fix).toContain('wagate channels logout --account bad');
    expect(check(report, 'creds:rest')).toMatchObject({ status: 'warn', message: expect.stringContaining('creds.json is empty') });
    expect(report.checks.some((c) => c.id.endsWith(':off'))).toBe(false);
    for (const id of ['work', 'home', 'bad', 'rest']) expect(check(report, `creds-mode:${id}`).status).toBe('ok');
  });

  it('auth files readable by others warn; --fix makes them 0600 and the dir 0700', async () => {
    const h = await home();
    fs.chmodSync(h.dir, 0o700);
    const dir = authDir(h, 'default');
    await makeLinkedDir(dir);
    fs.writeFileSync(path.join(dir, 'pre-key-1.json'), '{}');
    fs.chmodSync(path.join(dir, 'creds.json'), 0o644);
    fs.chmodSync(path.join(dir, 'pre-key-1.json'), 0o664);
    fs.chmodSync(dir, 0o755);
    const before = await doctor(h);
    expect(before.code).toBe(0);
    const c = check(before.report, 'creds-mode:default');
    expect(c).toMatchObject({ status: 'warn', message: expect.stringContaining('3 auth file(s)') });
    expect(c.message).toContain('creds.json 644');
    expect(c.fix).toContain('wagate doctor --fix');

    const fixed = await doctor(h, '--fix');
    expect(check(fixed.report, 'creds-mode:default')).toMatchObject({ status: 'ok', message: expect.stringContaining('fixed') });
    expect(mode(path.join(dir, 'creds.json'))).toBe(0o600);
    expect(mode(path.join(dir, 'pre-key-1.json'))).toBe(0o600);
    expect(mode(dir)).toBe(0o700);
    expect(check((await doctor(h)).report, 'creds-mode:default').message).toContain('are private');
  });

  it('the human output is one line per check with a symbol and the fix', async () => {
    const h = await home();
    fs.chmodSync(h.dir, 0o700);
    const r = await runCli(['doctor'], h.env);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toContain('! creds:default: Not linked: no creds in ' + authDir(h, 'default') + ' — fix: run `wagate channels login`');
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

describe('wagate doctor: legacy layout', () => {
  async function legacyHome(): Promise<{ h: Home; creds: string }> {
    const h = await home();
    fs.chmodSync(h.dir, 0o700);
    const creds = path.join(h.dir, 'credentials');
    await makeLinkedDir(creds);
    fs.writeFileSync(path.join(creds, 'pre-key-1.json'), '{}', { mode: 0o600 });
    fs.writeFileSync(path.join(creds, 'session-123.0.json'), '{}', { mode: 0o600 });
    fs.writeFileSync(path.join(creds, 'whatsapp-pairing.json'), '{}', { mode: 0o600 });
    fs.writeFileSync(path.join(creds, 'whatsapp-allowFrom.json'), '{}', { mode: 0o600 });
    fs.writeFileSync(path.join(creds, 'oauth.json'), '{}', { mode: 0o600 });
    fs.writeFileSync(path.join(creds, '.creds.json.999999.1.tmp'), '{}', { mode: 0o600 });
    return { h, creds };
  }

  it('warns how to migrate; --fix moves only the Baileys files and the account keeps its identity', async () => {
    const { h, creds } = await legacyHome();
    const before = await doctor(h);
    expect(before.code).toBe(0);
    const legacy = check(before.report, 'legacy-layout');
    expect(legacy).toMatchObject({ status: 'warn', message: expect.stringContaining('4 Baileys file(s)') });
    expect(legacy.fix).toContain(authDir(h, 'default'));
    expect(legacy.fix).toContain('wagate doctor --fix');
    expect(check(before.report, 'creds:default').message).toContain(`${creds} (legacy layout)`);

    const fixed = await doctor(h, '--fix');
    expect(check(fixed.report, 'legacy-layout')).toMatchObject({ status: 'ok', message: expect.stringContaining('moved 4') });
    expect(fs.readdirSync(creds).sort()).toEqual(['.creds.json.999999.1.tmp', 'oauth.json', 'whatsapp', 'whatsapp-allowFrom.json', 'whatsapp-pairing.json']);
    expect(fs.readdirSync(authDir(h, 'default')).sort()).toEqual(['creds.json', 'creds.json.bak', 'pre-key-1.json', 'session-123.0.json']);
    const after = await doctor(h);
    expect(check(after.report, 'legacy-layout').status).toBe('ok');
    expect(check(after.report, 'creds:default')).toMatchObject({ status: 'ok' });
    expect(check(after.report, 'creds:default').message).toContain(`linked as 15550001111:7@s.whatsapp.net in ${authDir(h, 'default')},`);
  });

  it('--fix refuses when the target already has creds', async () => {
    const { h, creds } = await legacyHome();
    await makeLinkedDir(authDir(h, 'default'), '15550002222:1@s.whatsapp.net');
    const { report } = await doctor(h, '--fix');
    const c = check(report, 'legacy-layout');
    expect(c).toMatchObject({ status: 'warn', message: expect.stringContaining('not used') });
    expect(c.message).toContain('not moved');
    expect(fs.existsSync(path.join(creds, 'creds.json'))).toBe(true);
    expect(fs.existsSync(path.join(creds, 'pre-key-1.json'))).toBe(true);
    expect(check(report, 'creds:default').message).toContain('15550002222:1@s.whatsapp.net');
  });

  it('--fix does not move anything while the gateway runs', async () => {
    const { h, creds } = await legacyHome();
    await startTestGateway(h, new FakeTransportFactory());
    const { report } = await doctor(h, '--fix');
    expect(check(report, 'gateway').status).toBe('ok');
    expect(check(report, 'legacy-layout')).toMatchObject({ status: 'warn', message: expect.stringContaining('the gateway is running') });
    expect(fs.existsSync(path.join(creds, 'creds.json'))).toBe(true);
    expect(fs.existsSync(authDir(h, 'default'))).toBe(false);
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
    await makeLinkedDir(authDir(h, 'default'));
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
