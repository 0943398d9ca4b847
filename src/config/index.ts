/**
 * Configuration (SPEC §1, §2, §11): where files live, the schema and its
 * defaults, loading with one-line errors, per-account and per-agent resolution,
 * and atomic writes. Import from here, not from the files behind it.
 */
export * from './paths.js';
export { loadConfig, parseConfigText, readConfigText, type LoadedConfig, type LoadOptions } from './load.js';
export { validateConfig, isConfigError } from './validate.js';
export {
  writeFileAtomic,
  setConfigValue,
  unsetConfigValue,
  updateConfig,
  parseConfigValue,
  type AtomicFs,
  type EditOptions,
} from './write.js';
export { CHAT_WRITABLE_KEYS, chatWriteRefusal, isChatWritable, touchesSecret, textNamesSecret } from './chat-writable.js';
export {
  accountIds,
  defaultAccountId,
  resolveAccount,
  resolveAccounts,
  DEFAULT_ACCOUNT_ID,
  DEFAULT_HISTORY_LIMIT,
  type AccountConfig,
  type PathOptions,
} from './accounts.js';
export {
  resolveAgents,
  agentForAccount,
  compileMentionPatterns,
  IMPLICIT_AGENT_ID,
  type AgentConfig,
} from './agents.js';
export {
  ConfigSchema,
  defaultConfig,
  WHATSAPP_WEB_URL,
  LOG_LEVELS,
  type WagateConfig,
  type WagateConfigInput,
  type WhatsAppConfig,
  type ModelConfig,
  type HeartbeatConfig,
  type AgentEntryConfig,
  type ReconnectConfig,
} from './schema.js';
export { HEARTBEAT_PROMPT, DEFAULT_MODEL_TIMEOUT_MS } from './schema-agents.js';
export { DM_POLICIES, GROUP_POLICIES, CHUNK_MODES, ACK_GROUP_MODES, PER_ACCOUNT_KEYS } from './schema-whatsapp.js';
export { parseDuration } from './schema-common.js';
export { formatKeyPath, parseKeyPath, type KeyPath } from './key-path.js';
