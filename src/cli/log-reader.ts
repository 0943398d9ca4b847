/**
 * Reading wagate's JSON-lines log (SPEC §12) for `wagate logs`: parse and
 * filter lines, format them for people, read a file's last lines, and follow
 * a file as it grows — switching to the next daily file after local midnight.
 * A line that is not JSON is kept as it is; nothing here throws on bad input.
 */
import { open, stat } from 'node:fs/promises';
import { dailyLogPath, DEFAULT_LOG_DIR } from '../log.js';

/** pino's numeric levels. */
export const LEVEL_NAMES: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

export interface LogLine {
  raw: string;
  /** The parsed object; null for a line that is not a JSON object. */
  entry: Record<string, unknown> | null;
}

export interface LogFilter {
  subsystem?: string | undefined;
  accountId?: string | undefined;
}

export function parseLogLine(raw: string): LogLine {
  const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (!text.startsWith('{')) return { raw: text, entry: null };
  try {
    const v: unknown = JSON.parse(text);
    return { raw: text, entry: v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null };
  } catch {
    return { raw: text, entry: null };
  }
}

/** A line passes when it has the asked subsystem and account; a non-JSON line passes only without filters. */
export function matchesFilter(line: LogLine, f: LogFilter): boolean {
  if (!f.subsystem && !f.accountId) return true;
  if (!line.entry) return false;
  if (f.subsystem && line.entry.subsystem !== f.subsystem) return false;
  if (f.accountId && line.entry.accountId !== f.accountId) return false;
  return true;
}

export function levelName(level: unknown): string {
  if (typeof level === 'number') return LEVEL_NAMES[level] ?? `L${level}`;
  if (typeof level === 'string') return level.toUpperCase();
  return '-';
}

function clock(t: unknown): string {
  if (typeof t !== 'number' && typeof t !== 'string') return '--:--:--';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return '--:--:--';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function formatValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s="]+$/.test(v) ? v : JSON.stringify(v);
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v) ?? String(v);
}

const SHOWN = new Set(['level', 'time', 'msg', 'subsystem', 'accountId', 'pid', 'hostname']);

/** `HH:MM:SS LEVEL subsystem [accountId] msg key=value…`; a non-JSON line as it is. */
export function formatLogLine(line: LogLine): string {
  const e = line.entry;
  if (!e) return line.raw;
  const parts = [clock(e.time), levelName(e.level)];
  if (typeof e.subsystem === 'string') parts.push(e.subsystem);
  if (e.accountId !== undefined && e.accountId !== null) parts.push(`[${String(e.accountId)}]`);
  if (e.msg !== undefined) parts.push(typeof e.msg === 'string' ? e.msg : formatValue(e.msg));
  for (const [k, v] of Object.entries(e)) if (!SHOWN.has(k)) parts.push(`${k}=${formatValue(v)}`);
  return parts.join(' ');
}

/**
 * Reads one file from a byte offset, line by line. A line without its newline
 * yet stays buffered until the writer finishes it (or `flush()`).
 */
export class LogCursor {
  private partial = Buffer.alloc(0);

  constructor(
    readonly file: string,
    public offset = 0,
  ) {}

  /** Emit every complete line added since the last read. A missing file reads as empty. */
  async read(onLine: (raw: string) => void): Promise<void> {
    const size = await stat(this.file).then((s) => s.size, () => -1);
    if (size < 0) return;
    if (size < this.offset) {
      // Truncated or replaced: start over.
      this.offset = 0;
      this.partial = Buffer.alloc(0);
    }
    if (size === this.offset) return;
    const fh = await open(this.file, 'r');
    try {
      const chunk = Buffer.alloc(64 * 1024);
      for (;;) {
        const { bytesRead } = await fh.read(chunk, 0, chunk.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        let data = Buffer.concat([this.partial, chunk.subarray(0, bytesRead)]);
        let nl: number;
        while ((nl = data.indexOf(0x0a)) !== -1) {
          onLine(data.subarray(0, nl).toString('utf8'));
          data = data.subarray(nl + 1);
        }
        this.partial = Buffer.from(data);
      }
    } finally {
      await fh.close();
    }
  }

  /** Bytes of an unfinished last line held back. */
  get pending(): number {
    return this.partial.length;
  }

  /** Emit a buffered unfinished last line. */
  flush(onLine: (raw: string) => void): void {
    if (this.partial.length > 0) onLine(this.partial.toString('utf8'));
    this.partial = Buffer.alloc(0);
  }
}

/**
 * The last `n` lines of `file` passing `keep` (0 = none), and the offset after
 * the last complete line. An unfinished last line counts only with `partial`
 * (a follower reads it once it is complete).
 */
export async function tailLines(
  file: string,
  n: number,
  keep: (raw: string) => boolean,
  partial = true,
): Promise<{ lines: string[]; offset: number }> {
  const cursor = new LogCursor(file);
  const lines: string[] = [];
  const take = (raw: string) => {
    if (n === 0 || !keep(raw)) return;
    lines.push(raw);
    if (lines.length > n) lines.shift();
  };
  await cursor.read(take);
  const offset = cursor.offset - cursor.pending;
  if (partial) cursor.flush(take);
  return { lines, offset };
}

export interface FollowOptions {
  /** A fixed file (`logging.file`, `--file`): never switches. */
  file?: string | undefined;
  /** Directory of the daily files (default `/tmp/wagate`); used when `file` is not set. */
  dir?: string | undefined;
  now?: () => number;
  signal: AbortSignal;
  onLine(raw: string): void;
  /** Where to start in the first file (default: its end when following begins). */
  fromOffset?: number | undefined;
  pollMs?: number;
  /** Pause between polls; resolves early on abort (tests inject their own). */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The file `followLogs` reads at time `t`. */
export function followedPath(opts: Pick<FollowOptions, 'file' | 'dir'>, t: number): string {
  return opts.file ?? dailyLogPath(opts.dir ?? DEFAULT_LOG_DIR, t);
}

/**
 * Print lines appended to the log until `signal` aborts. For the daily file,
 * once the local date changes the rest of the old file is read, then the new
 * day's file from its start (it may not exist yet).
 */
export async function followLogs(opts: FollowOptions): Promise<void> {
  const now = opts.now ?? Date.now;
  const wait = opts.wait ?? abortableDelay;
  const first = followedPath(opts, now());
  const start = opts.fromOffset ?? (await stat(first).then((s) => s.size, () => 0));
  let cursor = new LogCursor(first, start);
  while (!opts.signal.aborted) {
    const want = followedPath(opts, now());
    await cursor.read(opts.onLine);
    if (want !== cursor.file) {
      cursor.flush(opts.onLine);
      cursor = new LogCursor(want, 0);
      await cursor.read(opts.onLine);
    }
    await wait(opts.pollMs ?? 200, opts.signal);
  }
}
