/**
 * The control method `agent` (SPEC §10): its params, its streamed events, where a
 * run goes (account, agent, session, chat to reply to), and `runControlAgent`,
 * which asks the agent runner (runner.ts) for the run.
 */
import type { Logger } from 'pino';
import {
  defaultAccountId,
  agentForAccount,
  resolveAgents,
  type WagateConfig,
} from '../config/index.js';
import { WagateError } from '../errors.js';
import { badChatMessage, parseChat } from '../whatsapp/address.js';
import { mainSessionKey, sessionKeyFor } from './routing.js';
import { replyOutcome, type AgentRunner } from './runner.js';

export interface AgentRunParams {
  /** Account whose agent runs and which delivers (default: the default account). */
  accountId?: string;
  /** Agent to run (default: the account's agent). */
  agentId?: string;
  /** E.164 or JID: run in that chat's session and deliver the reply there. Absent = main session, no delivery. */
  to?: string;
  message: string;
}

/** Streamed as `agent` events; the last one has status ok|error and a summary. */
export type AgentRunEvent =
  | { runId: string; status: 'running' }
  | { runId: string; delta: string }
  | { runId: string; status: 'ok' | 'error'; summary: string };

export interface AgentRunTarget {
  accountId: string;
  agentId: string;
  sessionKey: string;
  /** Where the reply is delivered; null = not delivered. */
  chatJid: string | null;
  chatType: 'direct' | 'group';
  chatId: string | null;
}

const bad = (message: string) => new WagateError('WAGATE_ERR_BAD_REQUEST', message);

/** `+15551234567` / `15551234567@s.whatsapp.net` / `…@g.us` / `…@lid` → chat JID and chat id (src/whatsapp/address.ts rules). */
export function parseTarget(to: string): { chatJid: string; chatId: string; chatType: 'direct' | 'group' } {
  const chat = parseChat(to);
  if (!chat) throw bad(`"to": ${badChatMessage(to)}`);
  return { chatJid: chat.jid, chatId: chat.chatId, chatType: chat.chatType };
}

/** Validate params (WAGATE_ERR_BAD_REQUEST / WAGATE_ERR_UNKNOWN_ACCOUNT) and resolve the run's target. */
export function resolveRunTarget(
  config: WagateConfig,
  accounts: ReadonlyMap<string, unknown>,
  params: AgentRunParams,
): AgentRunTarget {
  if (typeof params?.message !== 'string' || !params.message.trim()) throw bad('"message" must be a non-empty string');
  const accountId = params.accountId ?? defaultAccountId(config);
  if (!accounts.has(accountId)) throw new WagateError('WAGATE_ERR_UNKNOWN_ACCOUNT', `No such account: ${accountId}`);
  const agents = resolveAgents(config);
  const agentId = params.agentId ?? agentForAccount(config, accountId).id;
  if (!agents.some((a) => a.id === agentId)) throw bad(`no agent "${agentId}" in agents.list`);
  if (params.to === undefined) {
    return { accountId, agentId, sessionKey: mainSessionKey(config, agentId), chatJid: null, chatType: 'direct', chatId: null };
  }
  const chat = parseTarget(params.to);
  return { accountId, agentId, ...chat, sessionKey: sessionKeyFor(config, agentId, chat) };
}

/**
 * The control method `agent`: validates at once (throws WagateError
 * WAGATE_ERR_BAD_REQUEST / WAGATE_ERR_UNKNOWN_ACCOUNT), returns
 * `{ runId, status: 'accepted' }`, then calls `emit` with `{runId, status:'running'}`
 * when the session's turn comes, `{runId, delta}`… and finally
 * `{runId, status:'ok'|'error', summary}` (always, once). With `to`, the reply is
 * delivered to that chat (typing meanwhile) like a message's.
 */
export function runControlAgent(
  runner: AgentRunner,
  deps: { config: WagateConfig; accounts: ReadonlyMap<string, unknown>; now: () => number; logger: Pick<Logger, 'warn'> },
  params: AgentRunParams,
  emit: (event: AgentRunEvent) => void,
): { runId: string; status: 'accepted' } {
  const target = resolveRunTarget(deps.config, deps.accounts, params);
  const runId = runner.newRunId();
  const send = (event: AgentRunEvent) => {
    try {
      emit(event);
    } catch (err) {
      deps.logger.warn({ err, runId }, 'agent event listener failed');
    }
  };
  runner
    .run({
      runId,
      origin: 'control',
      accountId: target.accountId,
      agentId: target.agentId,
      sessionKey: target.sessionKey,
      chat: target.chatJid ? { jid: target.chatJid } : null,
      typing: true,
      tools: true,
      onStart: () => send({ runId, status: 'running' }),
      onDelta: (delta) => send({ runId, delta }),
      prepare: async (store) => ({
        envelope: { Body: params.message, RawBody: params.message },
        history: await store.history(target.sessionKey),
        entries: [{ role: 'user', text: params.message, at: deps.now(), sender: 'control' }],
      }),
      finish: async (result) => replyOutcome(result, { accountId: target.accountId, chatJid: target.chatJid }, deps.now()),
    })
    .then(
      (result) => send({ runId, status: 'ok', summary: result.text }),
      (err: unknown) => send({ runId, status: 'error', summary: err instanceof Error ? err.message : String(err) }),
    );
  return { runId, status: 'accepted' };
}
