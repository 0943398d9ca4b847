import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRootLogger, dailyLogPath, lazyChild, subLogger, SUBSYSTEMS } from '../src/log.js';
import { ROOT } from './helpers/cli.js';
import { literalsOf, sourceFiles } from './helpers/source-scan.js';
import { tmpDir } from './helpers/tmp.js';

const tmp = () => tmpDir('log');
afterEach(() => {
  vi.restoreAllMocks();
});

function lines(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('logging', () => {
  it('writes JSON lines with subsystem and accountId to the daily file, mode 0600', () => {
    const dir = tmp();
    const now = new Date(2026, 10, 24, 12, 0, 0).getTime();
    const root = createRootLogger({ dir, pretty: false, now: () => now });
    subLogger(root.logger, 'whatsapp/inbound', 'work').info({ n: 1 }, 'hello');
    root.close();
    const file = path.join(dir, 'wagate-2026-11-24.log');
    expect(dailyLogPath(dir, now)).toBe(file);
    const [line] = lines(file);
    expect(line).toMatchObject({ subsystem: 'whatsapp/inbound', accountId: 'work', msg: 'hello', n: 1, level: 30 });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('switches to the next day file at local midnight', () => {
    const dir = tmp();
    let now = new Date(2026, 10, 24, 23, 59, 59).getTime();
    const root = createRootLogger({ dir, pretty: false, now: () => now });
    root.logger.info('before midnight');
    now += 2000;
    root.logger.info('after midnight');
    root.close();
    expect(lines(path.join(dir, 'wagate-2026-11-24.log')).map((l) => l.msg)).toEqual(['before midnight']);
    expect(lines(path.join(dir, 'wagate-2026-11-25.log')).map((l) => l.msg)).toEqual(['after midnight']);
  });

  it('honours logging.level and logging.file', () => {
    const file = path.join(tmp(), 'custom.log');
    const root = createRootLogger({ file, level: 'warn', pretty: false });
    root.logger.info('dropped');
    root.logger.warn('kept');
    root.close();
    expect(lines(file).map((l) => l.msg)).toEqual(['kept']);
  });

  it('never writes secrets: tokens and creds are redacted', () => {
    const file = path.join(tmp(), 'secret.log');
    const root = createRootLogger({ file, pretty: false });
    root.logger.info({ token: 'sekrit-token', creds: { noiseKey: 'k' }, gateway: { auth: { token: 'x2' } } }, 'cfg');
    root.close();
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain('sekrit-token');
    expect(text).not.toContain('noiseKey');
    expect(text).toContain('[redacted]');
  });
});

describe('the log directory (SPEC §1; README "Security → The log directory")', () => {
  const now = new Date(2026, 10, 24, 12, 0, 0).getTime();
  const day = 'wagate-2026-11-24.log';

  /** A base like /tmp (anyone may create entries) with a state dir beside it. */
  function setup() {
    const base = tmp();
    const state = path.join(tmp(), 'state');
    return { base, state, logDir: path.join(base, 'wagate') };
  }

  function log(dir: string, state: string, msg = 'hello') {
    const root = createRootLogger({ dir, stateDir: state, pretty: false, now: () => now });
    root.logger.info(msg);
    root.close();
    return root;
  }

  function expectFallback(state: string, reason: RegExp) {
    const [warn, line] = lines(path.join(state, 'logs', day));
    expect(warn).toMatchObject({ level: 40, subsystem: 'gateway', reason: expect.stringMatching(reason), logDir: path.join(state, 'logs') });
    expect(warn!.msg).toMatch(/^log directory refused \(.*\); logging to .*logs instead$/);
    expect(line).toMatchObject({ msg: 'hello' });
    expect(fs.statSync(path.join(state, 'logs')).mode & 0o777).toBe(0o700);
  }

  it('creates a missing directory with mode 0700 and writes there', () => {
    const { logDir, state } = setup();
    const root = log(logDir, state);
    expect(root.logDirRefused).toBeUndefined();
    expect(fs.statSync(logDir).mode & 0o777).toBe(0o700);
    expect(lines(path.join(logDir, day)).map((l) => l.msg)).toEqual(['hello']);
    expect(fs.existsSync(path.join(state, 'logs'))).toBe(false);
  });

  it('refuses a directory that is a symlink (even to a directory of ours) and falls back to <state>/logs', () => {
    const { logDir, state } = setup();
    const elsewhere = tmp();
    fs.symlinkSync(elsewhere, logDir);
    const root = log(logDir, state);
    expect(root.logDirRefused).toBe(`${logDir}: it is a symlink`);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
    expectFallback(state, /it is a symlink/);
  });

  it('refuses a directory that group or others may write to (mode 0777)', () => {
    const { logDir, state } = setup();
    fs.mkdirSync(logDir);
    fs.chmodSync(logDir, 0o777);
    const root = log(logDir, state);
    expect(root.logDirRefused).toBe(`${logDir}: it is writable by group or others (mode 0777)`);
    expect(fs.readdirSync(logDir)).toEqual([]);
    expectFallback(state, /mode 0777/);
  });

  it("refuses a directory owned by another user (one who created /tmp/wagate first)", () => {
    const { logDir, state } = setup();
    fs.mkdirSync(logDir, { mode: 0o755 });
    fs.writeFileSync(path.join(logDir, day), 'planted\n', { mode: 0o666 });
    fs.chownSync(logDir, 65534, 65534); // the tests run as root: "nobody" made it first
    const root = log(logDir, state);
    expect(root.logDirRefused).toBe(`${logDir}: it is owned by uid 65534, not the gateway's user (uid ${process.getuid!()})`);
    expect(fs.readFileSync(path.join(logDir, day), 'utf8')).toBe('planted\n');
    expectFallback(state, /owned by uid 65534/);
  });

  it('never follows a symlink planted as the log file; the file it points to is untouched', () => {
    const { logDir, state } = setup();
    fs.mkdirSync(logDir, { mode: 0o700 });
    const secret = path.join(tmp(), 'shadow');
    fs.writeFileSync(secret, 'root-only\n', { mode: 0o600 });
    fs.symlinkSync(secret, path.join(logDir, day));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    log(logDir, state);
    expect(fs.readFileSync(secret, 'utf8')).toBe('root-only\n');
    expect(String(stderr.mock.calls[0]?.[0])).toMatch(/cannot open log file .*: .* is a symlink; log files are never opened through one/);
  });

  it('a fixed logging.file is not opened through a symlink either', () => {
    const dir = tmp();
    const secret = path.join(dir, 'secret');
    fs.writeFileSync(secret, 'keep\n');
    fs.symlinkSync(secret, path.join(dir, 'app.log'));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const root = createRootLogger({ file: path.join(dir, 'app.log'), pretty: false });
    root.logger.info('x');
    root.close();
    expect(fs.readFileSync(secret, 'utf8')).toBe('keep\n');
  });
});

describe('log subsystems (SUBSYSTEMS in src/log.ts) against the docs and the code', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  /** The README's `| subsystem | what it logs |` table: name → description. */
  const table = new Map(
    readme
      .slice(readme.indexOf('| subsystem | what it logs |'))
      .split('\n')
      .slice(2)
      .map((l) => /^\| `([^`]+)` \| (.+) \|$/.exec(l))
      .filter((m, i, all) => m !== null && all.slice(0, i).every((x) => x !== null))
      .map((m) => [m![1]!, m![2]!] as const),
  );
  const written = literalsOf(sourceFiles(), { fn: 'subLogger', index: 1, property: 'subsystem' });

  it('the README table lists exactly the subsystems, each with its description', () => {
    expect(Object.fromEntries(table)).toEqual(SUBSYSTEMS);
  });

  it('every subsystem the README or `wagate logs` help names exists', () => {
    const named = new Set([...readme.matchAll(/--subsystem ([a-z][a-z/-]+)/g)].map((m) => m[1]!));
    // `--subsystem whatsapp/inbound` (or `web-reconnect`, `web-heartbeat`, …)
    for (const m of readme.matchAll(/--subsystem [a-z/-]+` \(or ([^)]*)\)/g)) for (const n of m[1]!.matchAll(/`([a-z][a-z/-]*)`/g)) named.add(n[1]!);
    expect(named.size).toBeGreaterThan(3);
    for (const n of named) expect(Object.keys(SUBSYSTEMS), n).toContain(n);
  });

  it('every subsystem is written somewhere in src/, and src/ writes no other', () => {
    expect([...written].sort()).toEqual(Object.keys(SUBSYSTEMS).sort());
  });
});

describe('lazyChild (a run\'s or a chat\'s logger on the message path)', () => {
  it('writes the same lines as a child logger, and makes the child only for a line the level lets through', () => {
    const dir = tmp();
    const now = new Date(2026, 10, 24, 12, 0, 0).getTime();
    const root = createRootLogger({ dir, pretty: false, now: () => now, level: 'info' });
    const child = vi.spyOn(root.logger, 'child');
    const lazy = lazyChild(root.logger, { accountId: 'work', runId: 'r1' });
    lazy.debug({ n: 0 }, 'not at info');
    expect(child).not.toHaveBeenCalled();
    lazy.info({ n: 1 }, 'hello');
    lazy.warn({ n: 2 });
    child.mockRestore();
    const eager = root.logger.child({ accountId: 'work', runId: 'r1' });
    eager.info({ n: 1 }, 'hello');
    eager.warn({ n: 2 });
    root.close();
    const strip = ({ time: _t, ...rest }: Record<string, unknown>) => rest;
    const written = lines(path.join(dir, 'wagate-2026-11-24.log')).map(strip);
    expect(written).toHaveLength(4);
    expect(written.slice(0, 2)).toEqual(written.slice(2));
    expect(written[0]).toMatchObject({ accountId: 'work', runId: 'r1', n: 1, msg: 'hello' });
    expect(written[1]).not.toHaveProperty('msg');
  });
});
