/**
 * `wagate logs [--follow] [--lines N] [--subsystem s] [--account id] [--json] [--file path]`:
 * the last lines of the log file (`--file`, else `logging.file`, else today's
 * `/tmp/wagate/wagate-YYYY-MM-DD.log`), pretty or as the raw JSON lines, and
 * with `--follow` every line appended after them until Ctrl-C. The daily dir is
 * resolved like the gateway does (src/log-dir.ts): a refused `/tmp/wagate` means
 * the gateway wrote to `<state>/logs/`, and so that is read.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_LOG_DIR } from '../log.js';
import { resolveLogDir } from '../log-dir.js';
import { fallbackLogDir } from '../state-layout.js';
import { loadContext } from './context.js';
import { formatLogLine, followedPath, followLogs, matchesFilter, parseLogLine, tailLines, type LogLine } from './log-reader.js';
import type { CliIO } from './io.js';
import { action, type CommandDeps } from './command.js';

export interface LogsOptions {
  follow?: boolean;
  lines: number;
  subsystem?: string;
  account?: string;
  json?: boolean;
  file?: string;
}

function parseLineCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`"${value}" is not a whole number of lines.`);
  return Number(value);
}

/** The line to show, or null when the options filter it out. */
export function selectLine(raw: string, opts: Pick<LogsOptions, 'json' | 'subsystem' | 'account'>): LogLine | null {
  const line = parseLogLine(raw);
  if (!matchesFilter(line, { subsystem: opts.subsystem, accountId: opts.account })) return null;
  if (!line.entry && (opts.json || line.raw.trim() === '')) return null; // --json output stays parseable
  return line;
}

function printer(io: CliIO, opts: Pick<LogsOptions, 'json' | 'subsystem' | 'account'>): (raw: string) => void {
  return (raw) => {
    const line = selectLine(raw, opts);
    if (line) io.out(opts.json ? line.raw : formatLogLine(line));
  };
}

export interface LogsRunOptions extends LogsOptions {
  /** A fixed file from the config (`logging.file`). */
  configuredFile?: string | undefined;
  /** Directory of daily files (default /tmp/wagate). */
  dir?: string;
  /** The state dir: `<state>/logs` is read when the daily dir is refused. */
  stateDir?: string;
  now?: () => number;
}

export async function runLogs(io: CliIO, opts: LogsRunOptions): Promise<number> {
  const now = opts.now ?? Date.now;
  const fixed = opts.file ?? opts.configuredFile;
  let dir: string | undefined;
  if (!fixed) {
    const fallbackDir = opts.stateDir ? fallbackLogDir(opts.stateDir) : null;
    const resolved = resolveLogDir({ dir: opts.dir ?? DEFAULT_LOG_DIR, fallbackDir, create: false });
    if (resolved.refused) {
      io.err(`wagate: log directory refused (${resolved.refused})${resolved.dir ? `; reading ${resolved.dir}` : ''}.`);
      if (!resolved.dir) return 1;
    }
    dir = resolved.dir ?? undefined;
  }
  const source = { file: fixed ? path.resolve(fixed) : undefined, dir };
  const file = followedPath(source, now());
  if (!existsSync(file)) {
    io.err(`wagate: no log file at ${file} yet; the gateway writes it when it runs.`);
    return 1;
  }
  const write = printer(io, opts);
  const tail = await tailLines(file, opts.lines, (raw) => selectLine(raw, opts) !== null, !opts.follow);
  for (const raw of tail.lines) write(raw);
  if (!opts.follow) return 0;
  await followLogs({ ...source, now, signal: io.signal, fromOffset: tail.offset, onLine: write });
  return 0;
}

export function registerLogsCommand(program: Command, deps: CommandDeps): void {
  program
    .command('logs')
    .description('show the last lines of the log file (pretty, or --json raw lines); --follow keeps printing')
    .option('-f, --follow', 'keep printing new lines (switches to the next daily file after midnight)')
    .option('-n, --lines <n>', 'how many lines to show first', parseLineCount, 100)
    .option('--subsystem <name>', 'only lines of this subsystem (e.g. whatsapp/inbound, web-reconnect)')
    .option('--account <id>', 'only lines about this account')
    .option('--file <path>', 'read this file instead of the configured or daily one')
    .option('--json', 'print the raw JSON lines')
    .action(
      action(deps, async (opts: LogsOptions, cmd: Command) => {
        if (opts.file) return runLogs(deps.io, opts);
        const ctx = await loadContext(deps.io, cmd.optsWithGlobals());
        return runLogs(deps.io, { ...opts, configuredFile: ctx.config.logging.file, stateDir: ctx.stateDir });
      }),
    );
}
