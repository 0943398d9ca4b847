/**
 * Agent heartbeat helpers (SPEC §9): the "nothing to report" reply and where a
 * heartbeat reply goes.
 */
import { agentForAccount, defaultAccountId, type AgentConfig, type WagateConfig } from '../config/index.js';
import { toChatJid } from '../whatsapp/address.js';

export const HEARTBEAT_OK = 'HEARTBEAT_OK';

/**
 * True for `HEARTBEAT_OK` alone, with whitespace/punctuation/markup around it
 * (`HEARTBEAT_OK.`, `**HEARTBEAT_OK**`, `"heartbeat_ok"`), and for an empty reply.
 */
export function isHeartbeatOk(text: string): boolean {
  const bare = text.replace(/[\s\p{P}\p{S}]/gu, '').toUpperCase();
  return bare === '' || bare === HEARTBEAT_OK.replace('_', '');
}

/** A chat a heartbeat reply can go to. */
export interface HeartbeatChat {
  accountId: string;
  chatJid: string;
  selfChat?: boolean;
}

/** The account an agent speaks through: the first one bound to it, else the default account. */
export function accountForAgent(config: WagateConfig, accountIds: Iterable<string>, agentId: string): string {
  for (const id of accountIds) if (agentForAccount(config, id).id === agentId) return id;
  return defaultAccountId(config);
}

/**
 * Where an agent's heartbeat reply goes: `none` → nowhere, `whatsapp` → `to` on the
 * agent's account, `last` → the chat it last talked in (null when there is none yet).
 */
export function heartbeatTarget(
  config: WagateConfig,
  accountIds: Iterable<string>,
  agent: AgentConfig,
  last: HeartbeatChat | null,
): HeartbeatChat | null {
  const hb = agent.heartbeat;
  if (hb.target === 'none') return null;
  if (hb.target === 'whatsapp') {
    const chatJid = hb.to ? toChatJid(hb.to) : null;
    return chatJid ? { accountId: accountForAgent(config, accountIds, agent.id), chatJid } : null;
  }
  return last;
}
