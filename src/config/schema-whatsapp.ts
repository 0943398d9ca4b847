/**
 * `channels.whatsapp` (SPEC §2, §5, §6, §11). The per-account keys are declared
 * once, without defaults (`perAccountShape`): an account entry holds only what it
 * overrides; the root section is the same keys with the SPEC defaults filled in.
 * `accounts.ts` merges `accounts.<id>.*` over the root.
 */
import { z } from 'zod';
import { bool, exp, int, nonEmptyStr, positive, str, stringList } from './schema-common.js';

export const DM_POLICIES = ['pairing', 'allowlist', 'open', 'disabled'] as const;
export const GROUP_POLICIES = ['open', 'disabled', 'allowlist'] as const;
export const CHUNK_MODES = ['length', 'newline'] as const;
export const ACK_GROUP_MODES = ['always', 'mentions', 'never'] as const;

/** `ackReaction` as written in an account entry: every field optional. */
export const AckReactionOverride = z.strictObject({
  /** Empty or absent = no ack reaction. */
  emoji: str().optional(),
  /** React in direct chats (default true). */
  direct: bool().optional(),
  /** Groups: always | mentions (default) | never. */
  group: z.enum(ACK_GROUP_MODES).optional(),
});

/** `ackReaction` at the root: `{emoji?, direct = true, group = "mentions"}`. */
export const AckReaction = z.strictObject({
  emoji: str().optional(),
  direct: bool().default(true),
  group: z.enum(ACK_GROUP_MODES).default('mentions'),
});

/** `groups["<jid>" | "*"]`: a group allowlist entry. */
export const GroupEntry = z.strictObject({
  requireMention: bool().optional(),
});

/** `dms["<phone>"]`: per-DM overrides. */
export const DmEntry = z.strictObject({
  historyLimit: int(0).optional(),
});

const PROXY_EXPECTED = 'a proxy URL: http://, https:// or socks5:// (with optional user:password@), host and port';
/** `proxy`: an HTTP(S) CONNECT or SOCKS5 proxy for the account's WebSocket and media. */
function proxyUrl() {
  return z.string({ error: exp(PROXY_EXPECTED) }).refine((v) => {
    try {
      const u = new URL(v);
      return ['http:', 'https:', 'socks5:', 'socks5h:'].includes(u.protocol) && u.hostname !== '';
    } catch {
      return false;
    }
  }, { error: exp(PROXY_EXPECTED) });
}

const groupsMap = z.record(z.string(), GroupEntry, { error: exp('an object keyed by group JID or "*"') });
const dmsMap = z.record(z.string(), DmEntry, { error: exp('an object keyed by phone number') });

/** The per-account keys, as written (no defaults). */
export const perAccountShape = {
  dmPolicy: z.enum(DM_POLICIES),
  selfChatMode: bool(),
  allowFrom: stringList(),
  groupAllowFrom: stringList(),
  groupPolicy: z.enum(GROUP_POLICIES),
  groups: groupsMap,
  historyLimit: int(0),
  dmHistoryLimit: int(0),
  dms: dmsMap,
  mediaMaxMb: positive(),
  ackReaction: AckReactionOverride,
  sendReadReceipts: bool(),
  textChunkLimit: int(1),
  chunkMode: z.enum(CHUNK_MODES),
  messagePrefix: str(),
  actions: z.strictObject({ reactions: bool().optional() }),
  rejectCalls: bool(),
  rejectCallMessage: str(),
  proxy: proxyUrl(),
};

export const PER_ACCOUNT_KEYS = Object.keys(perAccountShape) as (keyof typeof perAccountShape)[];

/** `channels.whatsapp.accounts.<id>`: any per-account key, plus enabled/name/authDir. */
export const AccountEntry = z
  .strictObject(perAccountShape)
  .partial()
  .extend({
    enabled: bool().optional(),
    name: str().optional(),
    /** Baileys auth dir; `~` expands, relative paths are relative to the state dir. */
    authDir: nonEmptyStr().optional(),
  });

/** `channels.whatsapp`: the per-account keys with defaults, plus root-only keys. */
export const WhatsAppSection = z.strictObject({
  dmPolicy: perAccountShape.dmPolicy.default('pairing'),
  selfChatMode: bool().default(false),
  allowFrom: stringList().default([]),
  groupAllowFrom: stringList().optional(),
  groupPolicy: perAccountShape.groupPolicy.default('allowlist'),
  groups: groupsMap.optional(),
  /** Absent = messages.groupChat.historyLimit, else 50 (resolved in accounts.ts). */
  historyLimit: int(0).optional(),
  dmHistoryLimit: int(0).optional(),
  dms: dmsMap.optional(),
  mediaMaxMb: positive().default(50),
  ackReaction: AckReaction.prefault({}),
  sendReadReceipts: bool().default(true),
  textChunkLimit: int(1).default(4000),
  chunkMode: perAccountShape.chunkMode.default('length'),
  messagePrefix: str().optional(),
  actions: z.strictObject({ reactions: bool().default(true) }).prefault({}),
  /** Reject incoming calls; `rejectCallMessage` (if set) is sent once per call to the caller. */
  rejectCalls: bool().default(false),
  rejectCallMessage: str().optional(),
  /** Proxy for the WebSocket and media (`http://`, `https://`, `socks5://`); per-account. */
  proxy: proxyUrl().optional(),
  /** `/config set|unset` from chat (also needs `commands.config: true`). Root only. */
  configWrites: bool().default(true),
  accounts: z.record(z.string(), AccountEntry, { error: exp('an object keyed by account id') }).optional(),
});

export const ChannelsSection = z.strictObject({
  whatsapp: WhatsAppSection.prefault({}),
});
