/**
 * `wagate message send --to <e164|jid> [-m text] [--media <path|url>]…
 * [--gif-playback] [--account id] [--json] [--dry-run]`: send through the
 * running gateway's `send` method. `--dry-run` needs no gateway: it prepares
 * the media here and prints the plan (text chunks; media type, mimetype, size).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { chunkText } from '../access/text/chunking.js';
import { resolveAccount, resolveAccounts } from '../config/index.js';
import { WagateError } from '../errors.js';
import { ownerMediaAccess } from '../media/access.js';
import { planSend, type SendPlan } from '../media/plan.js';
import { mediaOptions } from '../media/prepare.js';
import { badChatMessage, toChatJid } from '../whatsapp/address.js';
import { connectGateway, loadContext, type CliContext } from './context.js';
import { printJson } from './io.js';
import { action, type CommandDeps } from './command.js';

export interface SendOptions {
  to: string;
  message?: string;
  media?: string[];
  gifPlayback?: boolean;
  account?: string;
  json?: boolean;
  dryRun?: boolean;
}

/** A `--media` argument: http(s) URLs stay URLs; anything else is a path, made absolute (the gateway has its own cwd). */
export function mediaSource(arg: string): { path: string } | { url: string } {
  return /^https?:\/\//i.test(arg) ? { url: arg } : { path: path.resolve(arg) };
}

function describePlan(plan: SendPlan) {
  return {
    texts: plan.texts.map((t) => ({ chars: t.length, text: t })),
    media: plan.media.map((m) => ({
      source: m.label,
      type: m.item.kind,
      mimetype: m.item.mimetype,
      bytes: m.item.data.length,
      sourceBytes: m.sourceBytes,
      ...(m.item.caption ? { caption: m.item.caption } : {}),
      ...(m.item.ptt ? { ptt: true } : {}),
      ...(m.item.gifPlayback ? { gifPlayback: true } : {}),
      warnings: m.warnings,
    })),
  };
}

const kb = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(2)} MB` : `${(n / 1024).toFixed(1)} KB`);

async function dryRun(ctx: CliContext, opts: SendOptions, chatJid: string): Promise<number> {
  const acc = resolveAccount(ctx.config, opts.account, { env: ctx.io.env });
  const prefix = ctx.config.messages.responsePrefix;
  const text = opts.message?.trim() ? (prefix ? `${prefix} ${opts.message}` : opts.message) : '';
  const plan = await planSend({
    text,
    media: (opts.media ?? []).map((m) => ({ ...mediaSource(m), ...(opts.gifPlayback ? { gifPlayback: true } : {}) })),
    chunk: (t) => chunkText(t, { limit: acc.textChunkLimit, mode: acc.chunkMode }),
    options: {
      ...mediaOptions(ctx.config, ctx.io.env),
      // The owner's own send: any path, never the gateway's secrets (like the gateway's `send`).
      load: {
        access: ownerMediaAccess({
          config: ctx.config,
          stateDir: ctx.stateDir,
          configPath: ctx.configPath,
          accounts: resolveAccounts(ctx.config, { env: ctx.io.env }),
        }),
      },
    },
  });
  const [failure] = plan.failures;
  if (failure) throw new WagateError(failure.error.code, failure.error.message);
  const described = describePlan(plan);
  if (opts.json) {
    printJson(ctx.io, { ok: true, dryRun: true, accountId: acc.accountId, to: chatJid, ...described });
    return 0;
  }
  const out = ctx.io.out;
  out(`Dry run: would send to ${chatJid} from account ${acc.accountId} (nothing sent):`);
  described.texts.forEach((t, i) => out(`  text ${i + 1}/${described.texts.length}: ${t.chars} chars`));
  for (const m of described.media) {
    const extra = [m.caption ? `caption ${JSON.stringify(m.caption)}` : '', m.ptt ? 'voice note' : '', m.gifPlayback ? 'gifPlayback' : '']
      .filter(Boolean)
      .join(', ');
    out(`  ${m.type} ${m.mimetype} ${kb(m.bytes)} (from ${kb(m.sourceBytes)})${extra ? `, ${extra}` : ''}  ${m.source}`);
    for (const w of m.warnings) out(`  warning: ${w}`);
  }
  return 0;
}

/** `--to` → the chat JID (src/whatsapp/address.ts, the rule the control `send` and `agent` methods use too). */
export function sendTarget(to: string): string {
  const chatJid = toChatJid(to);
  if (!chatJid) throw new WagateError('WAGATE_ERR_BAD_REQUEST', badChatMessage(to));
  return chatJid;
}

export async function runMessageSend(ctx: CliContext, opts: SendOptions): Promise<number> {
  const chatJid = sendTarget(opts.to);
  if (!opts.message?.trim() && !opts.media?.length) throw new WagateError('WAGATE_ERR_BAD_REQUEST', 'Nothing to send: give -m <text>, --media <path|url>, or both.');
  if (opts.dryRun) return dryRun(ctx, opts, chatJid);
  const client = await connectGateway(ctx);
  try {
    const res = await client.request('send', {
      to: opts.to,
      ...(opts.message ? { text: opts.message } : {}),
      ...(opts.account ? { accountId: opts.account } : {}),
      ...(opts.media?.length ? { media: opts.media.map(mediaSource) } : {}),
      ...(opts.gifPlayback ? { gifPlayback: true } : {}),
    });
    if (opts.json) printJson(ctx.io, { ok: true, ...res });
    else ctx.io.out(`Sent ${res.messageIds.length} message(s) to ${res.to} from account ${res.accountId}.`);
    return 0;
  } finally {
    client.close();
  }
}

const collect = (value: string, prev: string[] = []) => [...prev, value];

export function registerMessageCommands(program: Command, deps: CommandDeps): void {
  const message = program.command('message').description('send messages through the running gateway');
  message
    .command('send')
    .description('send text and/or media (images, video, audio as a voice note, documents)')
    .requiredOption('--to <e164|jid>', 'recipient: +15551234567 or a WhatsApp JID')
    .option('-m, --message <text>', 'the text (caption of the first media item when it fits one message)')
    .option('--media <path|url>', 'a file or http(s) URL to send; repeat for more', collect)
    .option('--gif-playback', 'MP4 video loops like a GIF')
    .option('--account <id>', 'the account (default: the default account)')
    .option('--dry-run', 'show what would be sent (chunks, media after optimisation) without sending or a gateway')
    .option('--json', 'machine-readable output')
    .action(
      action(deps, async (opts: SendOptions, cmd: Command) => runMessageSend(await loadContext(deps.io, cmd.optsWithGlobals()), opts)),
    );
}
