import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/cli/io.js';
import { followLogs, formatLogLine, parseLogLine, tailLines } from '../../src/cli/log-reader.js';
import { runLogs } from '../../src/cli/logs.js';
import { main } from '../../src/cli/main.js';
import { createRootLogger, dailyLogPath } from '../../src/log.js';
import { runCli } from '../helpers/cli.js';
import { until } from '../helpers/until.js';
import { tmpDir } from '../helpers/tmp.js';

const controllers: AbortController[] = [];
afterEach(() => {
  for (const c of controllers.splice(0)) c.abort();
});

const tempDir = () => tmpDir('logs');

const T = new Date(2025, 0, 2, 13, 4, 5).getTime(); // local 13:04:05
const entry = (o: Record<string, unknown>) => JSON.stringify({ level: 30, time: T, ...o });

function writeLog(file: string, lines: string[]): void {
  fs.writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
}

function env(dir: string): Record<string, string> {
  return { WAGATE_HOME: dir, HOME: dir };
}

const outLines = (s: string) => s.split('\n').filter((l) => l !== '');

describe('wagate logs: reading the file', () => {
  it('prints the last 100 lines by default and the last N with --lines', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'app.log');
    writeLog(file, Array.from({ length: 150 }, (_, i) => entry({ msg: `line ${i}` })));
    const all = await runCli(['logs', '--file', file], env(dir));
    expect(all.code).toBe(0);
    const lines = outLines(all.stdout);
    expect(lines).toHaveLength(100);
    expect(lines[0]).toBe('13:04:05 INFO line 50');
    expect(lines[99]).toBe('13:04:05 INFO line 149');
    const three = await runCli(['logs', '--file', file, '--lines', '3'], env(dir));
    expect(outLines(three.stdout)).toEqual(['13:04:05 INFO line 147', '13:04:05 INFO line 148', '13:04:05 INFO line 149']);
    const none = await runCli(['logs', '--file', file, '-n', '0'], env(dir));
    expect(none).toMatchObject({ code: 0, stdout: '' });
  });

  it('formats HH:MM:SS LEVEL subsystem [accountId] msg key=value…', () => {
    const line = parseLogLine(
      entry({ level: 40, subsystem: 'web-reconnect', accountId: 'work', msg: 'retrying', attempt: 2, reason: 'bad session', err: { code: 1 }, ok: true }),
    );
    expect(formatLogLine(line)).toBe('13:04:05 WARN web-reconnect [work] retrying attempt=2 reason="bad session" err={"code":1} ok=true');
    expect(formatLogLine(parseLogLine(entry({ level: 50, msg: 'boom' })))).toBe('13:04:05 ERROR boom');
    expect(formatLogLine(parseLogLine(entry({ level: 60, msg: 'x' })))).toContain(' FATAL ');
    expect(formatLogLine(parseLogLine(entry({ level: 20, msg: 'x' })))).toContain(' DEBUG ');
    expect(formatLogLine(parseLogLine(entry({ level: 10, msg: 'x' })))).toContain(' TRACE ');
    expect(formatLogLine(parseLogLine(JSON.stringify({ msg: 'no time' })))).toBe('--:--:-- - no time');
  });

  it('filters by --subsystem and --account; --lines counts matching lines', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'app.log');
    writeLog(file, [
      entry({ subsystem: 'whatsapp/inbound', accountId: 'work', msg: 'in work 1' }),
      entry({ subsystem: 'whatsapp/inbound', accountId: 'home', msg: 'in home' }),
      entry({ subsystem: 'gateway', msg: 'started' }),
      'plain text line',
      entry({ subsystem: 'whatsapp/outbound', accountId: 'work', msg: 'out work' }),
      entry({ subsystem: 'whatsapp/inbound', accountId: 'work', msg: 'in work 2' }),
    ]);
    const sub = await runCli(['logs', '--file', file, '--subsystem', 'whatsapp/inbound'], env(dir));
    expect(outLines(sub.stdout).map((l) => l.split(' ').at(-1))).toEqual(['1', 'home', '2']);
    const acct = await runCli(['logs', '--file', file, '--account', 'work', '--lines', '2'], env(dir));
    expect(outLines(acct.stdout)).toEqual([
      '13:04:05 INFO whatsapp/outbound [work] out work',
      '13:04:05 INFO whatsapp/inbound [work] in work 2',
    ]);
    const both = await runCli(['logs', '--file', file, '--account', 'work', '--subsystem', 'whatsapp/outbound'], env(dir));
    expect(outLines(both.stdout)).toEqual(['13:04:05 INFO whatsapp/outbound [work] out work']);
  });

  it('prints non-JSON lines as they are and never crashes on them; --json prints only the raw JSON lines', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'app.log');
    const json = entry({ subsystem: 'gateway', msg: 'ok', n: 1 });
    writeLog(file, ['Error: boom', '    at foo (x.js:1:1)', '{"level":30,"tim', '[1,2]', '', json, 'null']);
    const pretty = await runCli(['logs', '--file', file], env(dir));
    expect(pretty.code).toBe(0);
    expect(outLines(pretty.stdout)).toEqual([
      'Error: boom',
      '    at foo (x.js:1:1)',
      '{"level":30,"tim',
      '[1,2]',
      '13:04:05 INFO gateway ok n=1',
      'null',
    ]);
    const raw = await runCli(['logs', '--file', file, '--json'], env(dir));
    expect(outLines(raw.stdout)).toEqual([json]);
  });

  it('an unfinished last line is shown when not following', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'app.log');
    fs.writeFileSync(file, `${entry({ msg: 'a' })}\n${entry({ msg: 'b' })}`);
    const r = await tailLines(file, 10, () => true);
    expect(r.lines.map((l) => JSON.parse(l).msg)).toEqual(['a', 'b']);
    const follow = await tailLines(file, 10, () => true, false);
    expect(follow.lines.map((l) => JSON.parse(l).msg)).toEqual(['a']);
    expect(follow.offset).toBe(entry({ msg: 'a' }).length + 1);
  });

  it('a missing file is one clear line and exit 1', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'nope.log');
    const r = await runCli(['logs', '--file', file], env(dir));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`wagate: no log file at ${file} yet; the gateway writes it when it runs.\n`);
  });

  it('reads logging.file from the config, else today’s daily file', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'fixed.log');
    writeLog(file, [entry({ msg: 'from the configured file' })]);
    fs.writeFileSync(path.join(dir, 'wagate.json'), JSON.stringify({ logging: { file } }));
    const r = await runCli(['logs'], env(dir));
    expect(outLines(r.stdout)).toEqual(['13:04:05 INFO from the configured file']);

    const now = new Date(2025, 5, 1, 9, 0, 0).getTime();
    writeLog(dailyLogPath(dir, now - 86_400_000), [entry({ msg: 'yesterday' })]);
    writeLog(dailyLogPath(dir, now), [entry({ msg: 'today' })]);
    const io = captureIO();
    expect(await runLogs(io.io, { lines: 100, dir, now: () => now })).toBe(0);
    expect(io.text()).toBe('13:04:05 INFO today\n');
  });

  it('a bad --lines value is a usage error', async () => {
    const r = await runCli(['logs', '--lines', 'ten'], {});
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"ten" is not a whole number of lines.');
  });
});

function captureIO(signal: AbortSignal = new AbortController().signal) {
  let out = '';
  let err = '';
  const io: CliIO = {
    out: (t) => (out += t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => (err += t.endsWith('\n') ? t : `${t}\n`),
    env: {},
    isTTY: false,
    signal,
  };
  return { io, text: () => out, errText: () => err };
}

/** A `wait` for followLogs that the test releases one poll at a time. */
function stepper() {
  let release: (() => void) | null = null;
  let arrived: (() => void) | null = null;
  const wait = (_ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      release = resolve;
      signal.addEventListener('abort', () => resolve(), { once: true });
      const a = arrived;
      arrived = null;
      a?.();
    });
  /** Resolves once the follower has finished a poll and waits. */
  const parked = () => new Promise<void>((r) => (release ? r() : (arrived = r)));
  /** Let one more poll run and wait for it to finish. */
  const step = async () => {
    await parked();
    const r = release!;
    release = null;
    const done = new Promise<void>((res) => (arrived = res));
    r();
    await done;
  };
  return { wait, parked, step };
}

const append = (file: string, text: string) => fs.appendFileSync(file, text);

describe('wagate logs: the same log directory as the gateway', () => {
  const now = new Date(2025, 5, 1, 9, 0, 0).getTime();

  /** What the gateway writes with this (injected) log dir and state dir. */
  function gatewayWrites(logDir: string, state: string, msg: string): void {
    const root = createRootLogger({ dir: logDir, stateDir: state, pretty: false, now: () => now });
    root.logger.info(msg);
    root.close();
  }

  it('a refused log dir (a symlink) is not read: the lines come from <state>/logs, where the gateway wrote', async () => {
    const base = tempDir();
    const state = tempDir();
    const planted = tempDir();
    writeLog(dailyLogPath(planted, now), [entry({ msg: 'planted by someone else' })]);
    const logDir = path.join(base, 'wagate');
    fs.symlinkSync(planted, logDir);
    gatewayWrites(logDir, state, 'from the gateway');
    const io = captureIO();
    expect(await runLogs(io.io, { lines: 100, dir: logDir, stateDir: state, now: () => now })).toBe(0);
    expect(outLines(io.text()).map((l) => l.replace(/^\d\d:\d\d:\d\d /, ''))).toEqual([
      expect.stringMatching(/^WARN gateway log directory refused/),
      'INFO from the gateway',
    ]);
    expect(io.errText()).toBe(`wagate: log directory refused (${logDir}: it is a symlink); reading ${path.join(state, 'logs')}.\n`);
  });

  it('a log dir group or others may write to is not read either', async () => {
    const base = tempDir();
    const state = tempDir();
    const logDir = path.join(base, 'wagate');
    fs.mkdirSync(logDir);
    fs.chmodSync(logDir, 0o777);
    writeLog(dailyLogPath(logDir, now), [entry({ msg: 'planted' })]);
    gatewayWrites(logDir, state, 'from the gateway');
    const io = captureIO();
    expect(await runLogs(io.io, { lines: 100, dir: logDir, stateDir: state, now: () => now })).toBe(0);
    expect(io.text()).toMatch(/INFO from the gateway\n$/);
    expect(io.text()).not.toContain('planted');
  });
});

describe('followLogs', () => {
  it('prints appended lines only once complete, and switches to the next daily file after local midnight', async () => {
    const dir = tempDir();
    let now = new Date(2025, 4, 31, 23, 59, 58).getTime();
    const day1 = dailyLogPath(dir, now);
    const day2 = dailyLogPath(dir, new Date(2025, 5, 1, 0, 0, 1).getTime());
    expect(path.basename(day1)).toBe('wagate-2025-05-31.log');
    expect(path.basename(day2)).toBe('wagate-2025-06-01.log');
    writeLog(day1, ['already there']);
    const got: string[] = [];
    const ctl = new AbortController();
    controllers.push(ctl);
    const s = stepper();
    const done = followLogs({ dir, now: () => now, signal: ctl.signal, onLine: (l) => got.push(l), wait: s.wait });
    await s.parked();
    expect(got).toEqual([]);

    append(day1, 'a\nhal');
    await s.step();
    expect(got).toEqual(['a']);
    append(day1, 'f\n');
    await s.step();
    expect(got).toEqual(['a', 'half']);

    now = new Date(2025, 5, 1, 0, 0, 1).getTime();
    append(day1, 'late on day 1\n');
    await s.step(); // day 2's file does not exist yet
    expect(got).toEqual(['a', 'half', 'late on day 1']);
    append(day2, 'b\n');
    append(day1, 'not read any more\n');
    await s.step();
    append(day2, 'c\n');
    await s.step();
    expect(got).toEqual(['a', 'half', 'late on day 1', 'b', 'c']);

    ctl.abort();
    await done;
  });

  it('a fixed file never switches; a truncated file is read again from its start', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'fixed.log');
    writeLog(file, ['old']);
    let now = new Date(2025, 4, 31, 23, 59, 58).getTime();
    const got: string[] = [];
    const ctl = new AbortController();
    controllers.push(ctl);
    const s = stepper();
    const done = followLogs({ file, now: () => now, signal: ctl.signal, onLine: (l) => got.push(l), wait: s.wait });
    await s.parked();
    now += 86_400_000;
    append(file, 'next day\n');
    await s.step();
    fs.writeFileSync(file, 'new\n');
    await s.step();
    expect(got).toEqual(['next day', 'new']);
    ctl.abort();
    await done;
    expect(fs.readdirSync(dir)).toEqual(['fixed.log']);
  });
});

describe('wagate logs --follow', () => {
  it('prints the tail, then appended lines (filtered, pretty) until the signal aborts; exit 0', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'app.log');
    writeLog(file, [entry({ subsystem: 'gateway', msg: 'first' }), entry({ subsystem: 'gateway', msg: 'second' })]);
    fs.appendFileSync(file, '{"level":30,"time":0,"subsystem":"gateway","msg":"unfin');
    const ctl = new AbortController();
    controllers.push(ctl);
    const cap = captureIO(ctl.signal);
    const exited = main(['logs', '--follow', '--lines', '1', '--file', file, '--subsystem', 'gateway'], { ...cap.io, env: env(dir) });
    await until(() => cap.text().includes('second'), 'the last matching line');
    append(file, 'ished"}\n');
    append(file, `${entry({ subsystem: 'whatsapp', msg: 'filtered out' })}\n`);
    append(file, `${entry({ subsystem: 'gateway', accountId: 'a1', msg: 'appended' })}\n`);
    await until(() => cap.text().includes('appended'), 'the appended line');
    ctl.abort();
    expect(await exited).toBe(0);
    expect(outLines(cap.text()).map((l) => l.replace(/^\d\d:\d\d:\d\d /, ''))).toEqual([
      'INFO gateway second',
      'INFO gateway unfinished',
      'INFO gateway [a1] appended',
    ]);
  });
});
