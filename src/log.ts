/**
 * Logging (SPEC §12): one pino root logger writing JSON lines to a daily file
 * (`/tmp/wagate/wagate-YYYY-MM-DD.log`, or `logging.file`) and, on a terminal,
 * pretty lines to stderr. Subsystems get child loggers: `logger.child({subsystem,
 * accountId})` via `subLogger()`.
 *
 * The file is written synchronously, line by line: a crash loses nothing, and
 * shutdown has nothing to flush but the pretty stream. The daily files' directory
 * must be the gateway user's own (src/log-dir.ts), else `<state>/logs/` is used
 * and the first line says why; files are never opened through a symlink (which is
 * why this is not pino-roll: see the README's dependency list).
 */
import fs from 'node:fs';
import path from 'node:path';
import pino, { type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';
import { openLogFile, resolveLogDir } from './log-dir.js';
import { fallbackLogDir } from './state-layout.js';

import type { LogTap } from './log-tap.js';
export type { Logger } from 'pino';

/**
 * The log subsystems, as data: every line carries one as `subsystem` (and
 * `accountId` when it is about an account). The README's log table lists exactly
 * these, and each one is written somewhere in src/ (test/log.test.ts checks both).
 */
export const SUBSYSTEMS = {
  gateway: 'the supervisor: start, stop, accounts started',
  config: 'the config file the gateway started with',
  control: 'the control port: clients, failed auths, bad frames',
  bus: 'a bus handler that threw or rejected',
  pairing: 'pairing codes issued and refused',
  agent: 'agent runs, providers, typing, heartbeats',
  whatsapp: "an account's connection: state changes, creds, group metadata",
  'whatsapp/baileys': "Baileys' own log lines (warn and above)",
  'whatsapp/signal': "libsignal's console output (session dumps at debug, without key material)",
  'whatsapp/inbound': 'each inbound message: accepted, gated, dropped and why',
  'whatsapp/outbound': 'replies, read receipts and ack reactions sent or failed',
  'web-heartbeat': 'every web.heartbeatSeconds per connected account: uptime, attempts, messages handled',
  'web-reconnect': 'a connection lost, the delay before the next attempt, each attempt, giving up',
  cluster: 'several nodes: leases taken, renewed, lost and given back (cluster mode only)',
} as const;

export type Subsystem = keyof typeof SUBSYSTEMS;

/** `YYYY-MM-DD` in local time. */
export function localDate(t: number): string {
  const d = new Date(t);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The daily log file for a given time: `<dir>/wagate-YYYY-MM-DD.log`. */
export function dailyLogPath(dir: string, t: number): string {
  return path.join(dir, `wagate-${localDate(t)}.log`);
}

export const DEFAULT_LOG_DIR = '/tmp/wagate';

/**
 * A pino destination that appends each line to the current day's file and
 * switches files at local midnight. With a fixed `file` it never switches.
 */
export class DailyFileStream {
  private fd: number | null = null;
  private openPath: string | null = null;

  constructor(
    private readonly opts: { dir?: string; file?: string; now?: () => number },
  ) {}

  /** The path the next line goes to. */
  currentPath(): string {
    if (this.opts.file) return this.opts.file;
    return dailyLogPath(this.opts.dir ?? DEFAULT_LOG_DIR, (this.opts.now ?? Date.now)());
  }

  write(line: string): boolean {
    const target = this.currentPath();
    if (target !== this.openPath) this.reopen(target);
    if (this.fd !== null) fs.writeSync(this.fd, line);
    return true;
  }

  private reopen(target: string): void {
    this.end();
    try {
      if (this.opts.file) fs.mkdirSync(path.dirname(target), { recursive: true });
      this.fd = openLogFile(target);
      this.openPath = target;
    } catch (err) {
      // A log file we cannot open must not take the gateway down; say it once.
      process.stderr.write(`wagate: cannot open log file ${target}: ${(err as Error).message}\n`);
      this.fd = null;
      this.openPath = target;
    }
  }

  end(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    this.openPath = null;
  }
}

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Fixed file (`logging.file`); default: the daily file in `/tmp/wagate`. */
  file?: string;
  /** Directory of daily files (default `/tmp/wagate`; tests inject their own); ignored when `file` is set. */
  dir?: string;
  /** The state dir: daily files go to `<state>/logs` when `dir` is refused (without it: no file). */
  stateDir?: string;
  /** The gateway's user for the directory check (tests); default process.getuid(). */
  uid?: number;
  /** Pretty lines on stderr; default: when stderr is a TTY. */
  pretty?: boolean;
  /** Write the file at all (default true). */
  toFile?: boolean;
  /** Also keep recent lines in memory (the control page's live tail). */
  tap?: LogTap;
  now?: () => number;
}

export interface RootLogger {
  logger: Logger;
  file: DailyFileStream | null;
  /** Why the log directory was refused (the logs went to the fallback, or nowhere). */
  logDirRefused?: string;
  close(): void;
}

/** Redaction: secrets never reach a log line, whatever a caller passes. */
const REDACT = [
  'token',
  '*.token',
  'auth.token',
  'creds',
  '*.creds',
  'keys',
  '*.keys',
  'apiKey',
  '*.apiKey',
  'password',
  '*.password',
];

export function createRootLogger(opts: LoggerOptions = {}): RootLogger {
  const level = opts.level ?? 'info';
  const streams: pino.StreamEntry[] = [];
  let dir: string | null | undefined;
  let refused: string | undefined;
  if (opts.toFile !== false && !opts.file) {
    const fallbackDir = opts.stateDir ? fallbackLogDir(opts.stateDir) : null;
    ({ dir, refused } = resolveLogDir({ dir: opts.dir ?? DEFAULT_LOG_DIR, fallbackDir, create: true, ...('uid' in opts ? { uid: opts.uid } : {}) }));
  }
  const file =
    opts.toFile === false || dir === null ? null : new DailyFileStream({ file: opts.file, dir: dir ?? undefined, now: opts.now });
  if (file) streams.push({ level: 'trace', stream: file });
  if (opts.tap) streams.push({ level: 'trace', stream: opts.tap.stream });
  if (opts.pretty ?? process.stderr.isTTY) {
    streams.push({
      level: 'trace',
      stream: pretty({ destination: 2, sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' }),
    });
  }
  const logger = pino(
    { level, redact: { paths: REDACT, censor: '[redacted]' }, base: undefined },
    streams.length ? pino.multistream(streams) : pino.destination('/dev/null'),
  );
  if (refused) {
    const where = dir ? `logging to ${dir} instead` : 'not logging to a file (no state dir to fall back to)';
    if (!dir) process.stderr.write(`wagate: log directory refused (${refused}); ${where}\n`);
    logger.warn({ subsystem: 'gateway', reason: refused, logDir: dir }, `log directory refused (${refused}); ${where}`);
  }
  return {
    logger,
    file,
    ...(refused ? { logDirRefused: refused } : {}),
    close() {
      file?.end();
    },
  };
}

/** A child logger tagged with its subsystem and, when about one account, its id. */
export function subLogger(root: Logger, subsystem: Subsystem, accountId?: string): Logger {
  return root.child(accountId ? { subsystem, accountId } : { subsystem });
}

/** A logger that drops everything (tests, quiet CLI paths). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** The log calls a hot path needs (a pino Logger is one). */
export interface LogFns {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * `parent.child(bindings)`, made on the first line actually written (a level the
 * parent has enabled): the same lines as the child logger, without a pino child
 * (its bindings serialized) for every message or run that logs nothing.
 */
export function lazyChild(parent: Logger, bindings: Record<string, unknown>): LogFns {
  return new LazyChild(parent, bindings);
}

type LogLevel = 'debug' | 'info' | 'warn' | 'error';

class LazyChild implements LogFns {
  private child: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Record<string, unknown>,
  ) {}

  private write(level: LogLevel, obj: object, msg: string | undefined): void {
    if (!this.parent.isLevelEnabled(level)) return;
    const child = (this.child ??= this.parent.child(this.bindings));
    if (msg === undefined) child[level](obj);
    else child[level](obj, msg);
  }

  debug(obj: object, msg?: string): void {
    this.write('debug', obj, msg);
  }

  info(obj: object, msg?: string): void {
    this.write('info', obj, msg);
  }

  warn(obj: object, msg?: string): void {
    this.write('warn', obj, msg);
  }

  error(obj: object, msg?: string): void {
    this.write('error', obj, msg);
  }
}
