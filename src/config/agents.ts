/**
 * Agents as the runtime sees them (SPEC §6, §9): `agents.list[]` entries with the
 * gaps filled from `agents.defaults` and `messages.groupChat`, and the account →
 * agent binding. An empty list means one implicit agent, `main`.
 */
import type { AgentEntryConfig, HeartbeatConfig, ModelConfig, WagateConfig } from './schema.js';

export const IMPLICIT_AGENT_ID = 'main';

export interface AgentConfig {
  id: string;
  identity: { name: string | undefined };
  model: ModelConfig;
  /** Regex sources; compile with `compileMentionPatterns`. */
  mentionPatterns: string[];
  /** `agents.defaults.heartbeat` with the agent's overrides applied. */
  heartbeat: HeartbeatConfig;
}

function resolveAgent(config: WagateConfig, entry: AgentEntryConfig): AgentConfig {
  const d = config.agents.defaults;
  const overrides = Object.fromEntries(
    Object.entries(entry.heartbeat ?? {}).filter(([, v]) => v !== undefined),
  ) as Partial<HeartbeatConfig>;
  return {
    id: entry.id,
    identity: { name: entry.identity.name },
    model: entry.model ?? d.model,
    mentionPatterns: entry.groupChat.mentionPatterns ?? config.messages.groupChat.mentionPatterns ?? [],
    heartbeat: { ...d.heartbeat, ...overrides },
  };
}

/** The configured agents in list order (at least one). */
export function resolveAgents(config: WagateConfig): AgentConfig[] {
  const list: AgentEntryConfig[] = config.agents.list.length
    ? config.agents.list
    : [{ id: IMPLICIT_AGENT_ID, identity: {}, groupChat: {} }];
  return list.map((e) => resolveAgent(config, e));
}

/** The agent bound to an account (`bindings`), else the first agent. */
export function agentForAccount(config: WagateConfig, accountId: string): AgentConfig {
  const agents = resolveAgents(config);
  const bound = config.bindings.find((b) => b.accountId === accountId);
  return agents.find((a) => a.id === bound?.agentId) ?? (agents[0] as AgentConfig);
}

/** Compile mention patterns (flag "i"); throws SyntaxError on an invalid one. */
export function compileMentionPatterns(patterns: readonly string[]): RegExp[] {
  return patterns.map((p) => new RegExp(p, 'i'));
}
