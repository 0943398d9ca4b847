/**
 * Message → agent and session (SPEC §6). Deterministic: the account's agent comes
 * from `bindings` (else the first agent); the session key from the chat:
 *
 *   direct, session.scope "main"        agent:<agentId>:<session.mainKey>
 *   direct, session.scope "per-sender"  agent:<agentId>:whatsapp:dm:<e164 or LID>
 *   group                               agent:<agentId>:whatsapp:group:<group JID>
 */
import { agentForAccount, type WagateConfig } from '../config/index.js';
import type { InboundMessage } from '../ports/inbound.js';

export interface AgentTarget {
  agentId: string;
  sessionKey: string;
}

/** The fields of a message routing reads. */
export type RoutableMessage = Pick<InboundMessage, 'chatType' | 'chatId'>;

/** The session key of a chat for an agent. */
export function sessionKeyFor(config: WagateConfig, agentId: string, msg: RoutableMessage): string {
  if (msg.chatType === 'group') return `agent:${agentId}:whatsapp:group:${msg.chatId}`;
  if (config.session.scope === 'per-sender') return `agent:${agentId}:whatsapp:dm:${msg.chatId}`;
  return mainSessionKey(config, agentId);
}

/** The agent's main session: `agent:<agentId>:<session.mainKey>`. */
export function mainSessionKey(config: WagateConfig, agentId: string): string {
  return `agent:${agentId}:${config.session.mainKey}`;
}

/** Which agent answers a message on an account, and in which session. */
export function routeMessage(config: WagateConfig, accountId: string, msg: RoutableMessage): AgentTarget {
  const agentId = agentIdFor(config, accountId);
  return { agentId, sessionKey: sessionKeyFor(config, agentId, msg) };
}

/**
 * The agent id of an account, resolved once per loaded config (every message is routed;
 * resolving the agents builds them all). A loaded config is never changed in place: a
 * new config object (a restart, a test's own) is resolved afresh.
 */
const agentIds = new WeakMap<WagateConfig, Map<string, string>>();
function agentIdFor(config: WagateConfig, accountId: string): string {
  let byAccount = agentIds.get(config);
  if (!byAccount) agentIds.set(config, (byAccount = new Map()));
  let id = byAccount.get(accountId);
  if (id === undefined) byAccount.set(accountId, (id = agentForAccount(config, accountId).id));
  return id;
}

/** True for keys of group sessions (`…:whatsapp:group:<jid>`). */
export function isGroupSessionKey(sessionKey: string): boolean {
  return /^agent:[^:]+:whatsapp:group:/.test(sessionKey);
}
