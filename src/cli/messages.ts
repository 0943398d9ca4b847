/**
 * `wagate messages [--account id] [--chat e164|jid] [--state s] [--since 1h] [--limit n] [--json]`
 * and `wagate messages audit [--json]`: the inbound ledger (what became of every
 * message). Through the running gateway's control methods `messages.list` /
 * `messages.audit`; with no gateway running, straight from the store file (SQLite's WAL
 * lets a reader in), where every unfinished entry is unexplained (src/ledger/audit.ts).
 */
import type { Command } from 'commander';
import { parseDuration } from '../config/index.js';
import { isWagateError, WagateError } from '../errors.js';
import { ledgerQuery, unexplained, withNotes, isLedgerState, type LedgerAudit, type LedgerEntryView } from '../ledger/audit.js';
import { RESUMABLE_STATES } from '../ledger/resume.js';
import { LEDGER_STATES, type LedgerState } from '../store/port.js';
import { badChatMessage, toChatJid } from '../whatsapp/address.js';
import { action, type CommandDeps } from './command.js';
import { connectGateway, loadContext, withStore, type CliContext } from './context.js';
import { printJson } from './io.js';
import { formatTime } from './sessions.js';

export interface MessagesOptions {
  account?: string;
  chat?: string;
  state?: string;
  since?: string;
  limit?: string;
  json?: boolean;
}

export interface ListParams {
  account?: string;
  chat?: string;
  state?: LedgerState;
  since?: number;
  limit?: number;
}

/** The CLI options as `messages.list` params (a bad value is one clear error). */
export function listParams(opts: MessagesOptions, now: number): ListParams {
  const p: ListParams = {};
  if (opts.account) p.account = opts.account;
  if (opts.chat) {
    const jid = toChatJid(opts.chat);
    if (!jid) throw new WagateError('WAGATE_ERR_BAD_REQUEST', badChatMessage(opts.chat));
    p.chat = jid;
  }
  if (opts.state !== undefined) {
    if (!isLedgerState(opts.state)) {
      throw new WagateError('WAGATE_ERR_BAD_REQUEST', `--state must be one of ${LEDGER_STATES.join(', ')}; not "${opts.state}".`);
    }
    p.state = opts.state;
  }
  if (opts.since !== undefined) {
    const ms = parseDuration(opts.since);
    if (ms === null) throw new WagateError('WAGATE_ERR_BAD_REQUEST', `--since must be a duration such as 30m, 1h or 2d; not "${opts.since}".`);
    p.since = now - ms;
  }
  if (opts.limit !== undefined) {
    const n = Number(opts.limit);
    if (!Number.isInteger(n) || n < 1 || n > 10_000) {
      throw new WagateError('WAGATE_ERR_BAD_REQUEST', `--limit must be a whole number from 1 to 10000, not "${opts.limit}".`);
    }
    p.limit = n;
  }
  return p;
}

/** Ask the running gateway; undefined when none runs. */
async function viaGateway<T>(ctx: CliContext, ask: (client: Awaited<ReturnType<typeof connectGateway>>) => Promise<T>): Promise<T | undefined> {
  let client;
  try {
    client = await connectGateway(ctx);
  } catch (err) {
    if (isWagateError(err) && err.code === 'WAGATE_ERR_GATEWAY_UNREACHABLE') return undefined;
    throw err;
  }
  try {
    return await ask(client);
  } finally {
    client.close();
  }
}

/** One entry on one line: time, state(reason), account, chat, id, sender, text. */
export function formatEntry(e: LedgerEntryView): string {
  const state = e.reason ? `${e.state}(${e.reason})` : e.error ? `${e.state}(${e.error})` : e.state;
  const who = e.senderE164 ?? e.sender;
  const replies = e.replyIds.length > 0 ? `  → ${e.replyIds.join(',')}` : '';
  const note = e.note ? `  [${e.note}]` : '';
  return `${formatTime(e.receivedAt)}  ${state.padEnd(20)}  ${e.accountId}  ${e.chatJid}  ${e.messageId}  ${who}  ${JSON.stringify(e.text)}${replies}${note}`;
}

export async function runMessagesList(ctx: CliContext, opts: MessagesOptions, now = Date.now()): Promise<number> {
  const params = listParams(opts, now);
  let gatewayRunning = true;
  let entries = await viaGateway(ctx, async (c) => (await c.request('messages.list', params)).entries);
  if (entries === undefined) {
    gatewayRunning = false;
    entries = await withStore(ctx, async (store) => withNotes(await store.ledger.list(ledgerQuery(params)), () => undefined));
  }
  if (opts.json) {
    printJson(ctx.io, { gatewayRunning, entries });
    return 0;
  }
  if (!gatewayRunning) ctx.io.out('Gateway not running; reading the store.');
  if (entries.length === 0) {
    ctx.io.out('No inbound messages in the ledger match.');
    return 0;
  }
  for (const e of entries) ctx.io.out(formatEntry(e));
  return 0;
}

export async function runMessagesAudit(ctx: CliContext, opts: { json?: boolean }): Promise<number> {
  let gatewayRunning = true;
  let audit: LedgerAudit | undefined = await viaGateway(ctx, (c) => c.request('messages.audit', {}));
  if (audit === undefined) {
    gatewayRunning = false;
    audit = await withStore(ctx, async (store) => ({
      counts: await store.ledger.counts(),
      unexplained: unexplained(await store.ledger.list({ states: RESUMABLE_STATES, limit: 10_000 }), {}),
    }));
  }
  if (opts.json) {
    printJson(ctx.io, { gatewayRunning, ...audit });
    return 0;
  }
  if (!gatewayRunning) ctx.io.out('Gateway not running; reading the store.');
  ctx.io.out(LEDGER_STATES.map((s) => `${s} ${audit.counts[s]}`).join('  '));
  ctx.io.out(`unexplained: ${audit.unexplained.length}`);
  for (const e of audit.unexplained) ctx.io.out(formatEntry(e));
  return 0;
}

export function registerMessagesCommands(program: Command, deps: CommandDeps): void {
  const messages = program
    .command('messages')
    .description('the inbound ledger: every message received and what became of it')
    .option('--account <id>', 'only this account')
    .option('--chat <e164|jid>', 'only this chat')
    .option('--state <state>', `only this state (${LEDGER_STATES.join(', ')})`)
    .option('--since <duration>', 'only received in the last 30m, 1h, 2d …')
    .option('--limit <n>', 'at most the newest n (default 200)')
    .option('--json', 'machine-readable output')
    .action(action(deps, async (opts: MessagesOptions, cmd: Command) => runMessagesList(await loadContext(deps.io, cmd.optsWithGlobals()), opts)));
  messages
    .command('audit')
    .description('entries per state, and every entry not finished and not explained (0 on a healthy gateway)')
    .option('--json', 'machine-readable output')
    .action(
      // `messages audit --json`: commander may hand `--json` to the parent command; read both.
      action(deps, async (_opts: { json?: boolean }, cmd: Command) => {
        const all = cmd.optsWithGlobals<{ json?: boolean; config?: string }>();
        return runMessagesAudit(await loadContext(deps.io, all), { json: all.json === true });
      }),
    );
}
