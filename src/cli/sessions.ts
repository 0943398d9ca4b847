/**
 * `wagate sessions list [--agent id]` and `wagate sessions show <key> [--limit N]`:
 * agent sessions as a person reads them, straight from the store (`<state>/wagate.db`;
 * SQLite's WAL lets a reader in while the gateway writes). Old JSONL session files not
 * imported yet are imported first (the same one-time import the gateway does at start).
 */
import type { Command } from 'commander';
import { importSessionFiles } from '../agents/session-import.js';
import { turnToEntry, type SessionEntry } from '../agents/session-store.js';
import { WagateError } from '../errors.js';
import type { Store } from '../store/port.js';
import { action, type CommandDeps } from './command.js';
import { loadContext, withStore, type CliContext, type GlobalOptions } from './context.js';
import { printJson, type CliIO } from './io.js';

/** `2025-06-07 12:00:05` in local time. */
export function formatTime(at: number): string {
  const d = new Date(at);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Who wrote a turn: the user turn's sender (or chat), the assistant. */
function who(e: SessionEntry): string {
  if (e.role === 'assistant') return 'assistant';
  return e.sender ?? e.chatJid ?? 'user';
}

/** One transcript entry: `time  role  sender` line, the text indented below. */
export function formatTurn(e: SessionEntry): string {
  const head = e.role === 'assistant' ? `${formatTime(e.at)}  assistant` : `${formatTime(e.at)}  user  ${who(e)}`;
  const body = e.text.split('\n').map((l) => `    ${l}`).join('\n');
  return `${head}\n${body}`;
}

async function openSessions<T>(ctx: CliContext, fn: (store: Store) => Promise<T>): Promise<T> {
  return withStore(ctx, async (store) => {
    const log = {
      info: () => undefined,
      warn: (_obj: object, msg: string) => ctx.io.err(`wagate: ${msg}`),
    };
    const r = await importSessionFiles({ store, config: ctx.config, stateDir: ctx.stateDir, log });
    if (r.files > 0) ctx.io.err(`wagate: imported ${r.files} old session file(s) into the store (moved aside as *.imported-YYYYMMDD).`);
    return fn(store);
  });
}

export async function runSessionsList(ctx: CliContext, opts: { agent?: string; json?: boolean }): Promise<number> {
  const all = await openSessions(ctx, (store) => store.sessions.list());
  const prefix = opts.agent ? `agent:${opts.agent}:` : null;
  const sessions = prefix ? all.filter((s) => s.key.startsWith(prefix)) : all;
  if (opts.json) {
    printJson(ctx.io, { sessions: sessions.map((s) => ({ key: s.key, turns: s.turns, lastAt: s.lastAt, lastUsed: new Date(s.lastAt).toISOString() })) });
    return 0;
  }
  if (sessions.length === 0) {
    ctx.io.out(opts.agent ? `No sessions of agent "${opts.agent}".` : 'No sessions yet.');
    return 0;
  }
  const width = Math.max(...sessions.map((s) => s.key.length), 'KEY'.length);
  ctx.io.out(`${'KEY'.padEnd(width)}  TURNS  LAST USED`);
  for (const s of sessions) ctx.io.out(`${s.key.padEnd(width)}  ${String(s.turns).padStart(5)}  ${formatTime(s.lastAt)}`);
  ctx.io.out('Read one with: wagate sessions show <key>');
  return 0;
}

function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new WagateError('WAGATE_ERR_BAD_REQUEST', `--limit must be a positive whole number, not "${text}".`);
  return n;
}

export async function runSessionsShow(ctx: CliContext, key: string, opts: { limit?: string; json?: boolean }): Promise<number> {
  const limit = parseLimit(opts.limit);
  const { turns, total } = await openSessions(ctx, async (store) => {
    const summary = (await store.sessions.list()).find((s) => s.key === key);
    if (!summary) throw new WagateError('WAGATE_ERR_UNKNOWN_SESSION', `No session "${key}"; see \`wagate sessions list\`.`);
    return { turns: (await store.sessions.turns(key, limit)).map(turnToEntry), total: summary.turns };
  });
  if (opts.json) {
    printJson(ctx.io, { key, total, turns });
    return 0;
  }
  if (turns.length < total) ctx.io.out(`(last ${turns.length} of ${total} turns)`);
  ctx.io.out(turns.map(formatTurn).join('\n\n'));
  return 0;
}

export function registerSessionsCommands(program: Command, deps: CommandDeps): void {
  const globals = () => program.opts<GlobalOptions>();
  const io: CliIO = deps.io;
  const sessions = program.command('sessions').description('read agent sessions (transcripts kept in the store)');
  sessions
    .command('list')
    .description('every session: key, turns, last used (most recent first)')
    .option('--agent <id>', 'only the sessions of this agent')
    .option('--json', 'machine-readable output')
    .action(action(deps, async (opts: { agent?: string; json?: boolean }) => runSessionsList(await loadContext(io, globals()), opts)));
  sessions
    .command('show')
    .description('a session as a transcript: time, role, sender, text')
    .argument('<key>', 'the session key (from `wagate sessions list`)')
    .option('--limit <n>', 'only the last n turns')
    .option('--json', 'machine-readable output')
    .action(
      action(deps, async (key: string, opts: { limit?: string; json?: boolean }) =>
        runSessionsShow(await loadContext(io, globals()), key, opts),
      ),
    );
}
