/**
 * The agent tool `whatsapp` (SPEC §8). One action so far, `react`: add or remove
 * (empty emoji, or `remove: true`) the account's reaction to a message. Gated per
 * account by `channels.whatsapp.actions.reactions` (default true).
 *
 * Reached three ways: the `openai` provider's function tool (tools-openai.ts), a
 * `command` provider's reply `actions` (tools-command.ts), and the control method
 * `react` (src/gateway/conversation.ts).
 */
import type { LogFns } from '../log.js';
import { z } from 'zod';
import { defaultAccountId, type AccountConfig, type WagateConfig } from '../config/index.js';
import { WagateError, toErrorInfo } from '../errors.js';
import type { Connection } from '../ports/transport.js';
import { badChatMessage, toChatJid } from '../whatsapp/address.js';
import type { ProviderRunInput } from './providers/types.js';

export const WHATSAPP_TOOL = 'whatsapp';

export const ReactParams = z.strictObject({
  chatJid: z.string().min(1).describe('Chat JID (or E.164) the message is in'),
  messageId: z.string().min(1).describe('WhatsApp id of the message'),
  emoji: z.string().max(32).optional().describe('One emoji; empty removes the reaction'),
  remove: z.boolean().optional(),
  participant: z.string().min(1).optional().describe('Groups: JID of the message author'),
  fromMe: z.boolean().optional().describe('True when the message was sent by this account'),
  accountId: z.string().min(1).optional(),
});
export type ReactParams = z.infer<typeof ReactParams>;

export const WhatsappToolArgs = z.strictObject({ action: z.enum(['react']), ...ReactParams.shape });
export type WhatsappToolArgs = z.infer<typeof WhatsappToolArgs>;

/** A function tool as the OpenAI chat-completions API declares it. */
export interface FunctionToolDefinition {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

/** The `openai` provider's declaration of the tool: its parameters are `WhatsappToolArgs` as JSON Schema. */
export const WHATSAPP_TOOL_DEFINITION: FunctionToolDefinition = {
  type: 'function',
  function: {
    name: WHATSAPP_TOOL,
    description:
      'Act in WhatsApp. action "react": react to a message with an emoji (remove: true or an empty emoji removes the reaction).',
    parameters: toolParameters(WhatsappToolArgs),
  },
};

/** A zod schema as the JSON Schema of function parameters (zod's own export, without `$schema`). */
function toolParameters(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...parameters } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  return parameters;
}

export interface ToolDeps {
  config: WagateConfig;
  accounts: ReadonlyMap<string, AccountConfig>;
  connection(accountId: string): Connection;
}

export interface ReactResult {
  ok: true;
  action: 'react';
  accountId: string;
  chatJid: string;
  messageId: string;
  emoji: string;
  removed: boolean;
}

/** Runs one `whatsapp` tool call. Throws WagateError (bad args, unknown account, disabled, not connected). */
export async function runWhatsappTool(deps: ToolDeps, args: unknown, defaults: { accountId?: string } = {}): Promise<ReactResult> {
  const parsed = WhatsappToolArgs.safeParse(args);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || 'arguments';
    throw new WagateError('WAGATE_ERR_BAD_REQUEST', `whatsapp tool: bad ${where}: ${issue?.message ?? 'invalid'}`);
  }
  const a = parsed.data;
  const accountId = a.accountId ?? defaults.accountId ?? defaultAccountId(deps.config);
  const account = deps.accounts.get(accountId);
  if (!account) throw new WagateError('WAGATE_ERR_UNKNOWN_ACCOUNT', `No account "${accountId}" in the config.`);
  if (!account.actions.reactions) {
    throw new WagateError(
      'WAGATE_ERR_BAD_REQUEST',
      `Reactions are disabled for account "${accountId}" (channels.whatsapp.actions.reactions is false).`,
    );
  }
  const chatJid = toChatJid(a.chatJid);
  if (!chatJid) throw new WagateError('WAGATE_ERR_BAD_REQUEST', `whatsapp tool: ${badChatMessage(a.chatJid)}`);
  const emoji = a.remove ? '' : (a.emoji ?? '');
  await deps.connection(accountId).react(
    { chatJid, id: a.messageId, fromMe: a.fromMe ?? false, ...(a.participant ? { participant: a.participant } : {}) },
    emoji,
  );
  return { ok: true, action: 'react', accountId, chatJid, messageId: a.messageId, emoji, removed: emoji === '' };
}

/** What a provider gets to call tools during a run. */
export interface ProviderTools {
  /** OpenAI-style function tool definitions. */
  definitions: readonly FunctionToolDefinition[];
  /** Runs a call; never throws: failures come back as `{ ok: false, error: {code, message} }`. */
  call(name: string, args: unknown): Promise<unknown>;
  /** A line telling the model where it is (chat and message ids), for tool arguments. */
  context?: string;
}

/** The tools of one agent run on `accountId` (answering `chatJid`/`messageId` when known). */
export function whatsappTools(
  deps: ToolDeps,
  run: { accountId: string; chatJid?: string | null; messageId?: string; logger: Pick<LogFns, 'info' | 'warn'> },
): ProviderTools {
  const where = [
    run.chatJid ? `chatJid ${run.chatJid}` : null,
    run.messageId ? `current messageId ${run.messageId}` : null,
    `accountId ${run.accountId}`,
  ].filter(Boolean);
  return {
    definitions: [WHATSAPP_TOOL_DEFINITION],
    context: `WhatsApp context for tools: ${where.join(', ')}.`,
    async call(name, args) {
      try {
        if (name !== WHATSAPP_TOOL) throw new WagateError('WAGATE_ERR_BAD_REQUEST', `Unknown tool "${name}".`);
        const res = await runWhatsappTool(deps, args, { accountId: run.accountId });
        run.logger.info({ tool: name, action: res.action, chatJid: res.chatJid, messageId: res.messageId, removed: res.removed }, 'tool call');
        return res;
      } catch (err) {
        const error = toErrorInfo(err);
        run.logger.warn({ tool: name, code: error.code, err: error.message }, 'tool call failed');
        return { ok: false, error };
      }
    },
  };
}

/** A provider run's input with the tools it may call (passed by agent-dispatch). */
export type RunInputWithTools = ProviderRunInput & { tools?: ProviderTools };
