/**
 * Per-account settings (SPEC §2): `channels.whatsapp.accounts.<id>.*` over the root
 * `channels.whatsapp.*`. Rules:
 * - a key set on the account replaces the root value as a whole (lists and maps too),
 *   except `ackReaction` and `actions`, which merge field by field;
 * - `historyLimit`: account > root > `messages.groupChat.historyLimit` > 50;
 * - `groupAllowFrom` falls back to the merged `allowFrom`;
 * - no (or an empty) `accounts` map = one account, `default`, made of the root keys.
 */
import os from 'node:os';
import { WagateError } from '../errors.js';
import { stateDir, resolveUserPath, whatsappAuthDir, type Env } from './paths.js';
import type { WagateConfig, WhatsAppConfig } from './schema.js';
import type { ACK_GROUP_MODES, CHUNK_MODES, DM_POLICIES, GROUP_POLICIES } from './schema-whatsapp.js';

export const DEFAULT_ACCOUNT_ID = 'default';
export const DEFAULT_HISTORY_LIMIT = 50;

type AccountEntryConfig = NonNullable<WhatsAppConfig['accounts']>[string];

/** One account's effective settings. */
export interface AccountConfig {
  accountId: string;
  enabled: boolean;
  /** Display name; the account id when none is set. */
  name: string;
  /** Absolute Baileys auth dir. */
  authDir: string;
  dmPolicy: (typeof DM_POLICIES)[number];
  selfChatMode: boolean;
  allowFrom: string[];
  /** Allowed group senders; the merged `allowFrom` when not set. */
  groupAllowFrom: string[];
  groupPolicy: (typeof GROUP_POLICIES)[number];
  /** Group allowlist keyed by JID or "*"; undefined when not configured. */
  groups: Record<string, { requireMention?: boolean | undefined }> | undefined;
  /** Group history injection limit; 0 disables. */
  historyLimit: number;
  /** DM user turns given to the model; undefined = no limit. */
  dmHistoryLimit: number | undefined;
  /** Per-DM overrides keyed by phone number. */
  dms: Record<string, { historyLimit?: number | undefined }>;
  mediaMaxMb: number;
  /** `emoji` "" = no ack reaction. */
  ackReaction: { emoji: string; direct: boolean; group: (typeof ACK_GROUP_MODES)[number] };
  sendReadReceipts: boolean;
  textChunkLimit: number;
  chunkMode: (typeof CHUNK_MODES)[number];
  messagePrefix: string | undefined;
  /** Reject incoming WhatsApp calls. */
  rejectCalls: boolean;
  /** Sent once to the caller of each rejected call; absent = none. */
  rejectCallMessage: string | undefined;
  /** Proxy URL for the WebSocket and media (may hold credentials: never log it as is). */
  proxy: string | undefined;
  actions: { reactions: boolean };
}

export interface PathOptions {
  env?: Env;
  homedir?: string;
}

/** Configured account ids, sorted; `["default"]` without an accounts map. */
export function accountIds(config: WagateConfig): string[] {
  const ids = Object.keys(config.channels.whatsapp.accounts ?? {}).sort();
  return ids.length ? ids : [DEFAULT_ACCOUNT_ID];
}

/** `default` if present, else the first configured id in sorted order. */
export function defaultAccountId(config: WagateConfig): string {
  const ids = accountIds(config);
  return ids.includes(DEFAULT_ACCOUNT_ID) ? DEFAULT_ACCOUNT_ID : (ids[0] as string);
}

/** Merge one account entry over the root section. */
export function mergeAccount(
  config: WagateConfig,
  accountId: string,
  entry: AccountEntryConfig | undefined,
  opts: PathOptions = {},
): AccountConfig {
  const root = config.channels.whatsapp;
  const a: AccountEntryConfig = entry ?? {};
  const env = opts.env ?? process.env;
  const home = opts.homedir ?? os.homedir();
  const allowFrom = a.allowFrom ?? root.allowFrom;
  const ack = { ...root.ackReaction, ...definedOnly(a.ackReaction ?? {}) };
  return {
    accountId,
    enabled: a.enabled ?? true,
    name: a.name ?? accountId,
    authDir: a.authDir
      ? resolveUserPath(a.authDir, stateDir(env, home), home)
      : whatsappAuthDir(accountId, env, home),
    dmPolicy: a.dmPolicy ?? root.dmPolicy,
    selfChatMode: a.selfChatMode ?? root.selfChatMode,
    allowFrom,
    groupAllowFrom: a.groupAllowFrom ?? root.groupAllowFrom ?? allowFrom,
    groupPolicy: a.groupPolicy ?? root.groupPolicy,
    groups: a.groups ?? root.groups,
    historyLimit:
      a.historyLimit ?? root.historyLimit ?? config.messages.groupChat.historyLimit ?? DEFAULT_HISTORY_LIMIT,
    dmHistoryLimit: a.dmHistoryLimit ?? root.dmHistoryLimit,
    dms: a.dms ?? root.dms ?? {},
    mediaMaxMb: a.mediaMaxMb ?? root.mediaMaxMb,
    ackReaction: { emoji: ack.emoji ?? '', direct: ack.direct, group: ack.group },
    sendReadReceipts: a.sendReadReceipts ?? root.sendReadReceipts,
    textChunkLimit: a.textChunkLimit ?? root.textChunkLimit,
    chunkMode: a.chunkMode ?? root.chunkMode,
    messagePrefix: a.messagePrefix ?? root.messagePrefix,
    rejectCalls: a.rejectCalls ?? root.rejectCalls,
    rejectCallMessage: a.rejectCallMessage ?? root.rejectCallMessage,
    proxy: a.proxy ?? root.proxy,
    actions: { reactions: a.actions?.reactions ?? root.actions.reactions },
  };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Every account's effective settings, in sorted id order. */
export function resolveAccounts(config: WagateConfig, opts: PathOptions = {}): AccountConfig[] {
  const entries = config.channels.whatsapp.accounts ?? {};
  return accountIds(config).map((id) => mergeAccount(config, id, entries[id], opts));
}

/** One account (`id` absent = the default account); unknown ids throw WAGATE_ERR_UNKNOWN_ACCOUNT. */
export function resolveAccount(config: WagateConfig, id?: string, opts: PathOptions = {}): AccountConfig {
  const ids = accountIds(config);
  const want = id ?? defaultAccountId(config);
  if (!ids.includes(want)) {
    const known = ids.map((k) => JSON.stringify(k)).join(', ');
    throw new WagateError(
      'WAGATE_ERR_UNKNOWN_ACCOUNT',
      `No WhatsApp account ${JSON.stringify(want)} in the config; known accounts: ${known}.`,
    );
  }
  return mergeAccount(config, want, config.channels.whatsapp.accounts?.[want], opts);
}
