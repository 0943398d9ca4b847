/**
 * Group access and activation (SPEC §5 "Groups"): pure decisions, no I/O.
 *
 * 1. `groupPolicy: "disabled"` drops every group message.
 * 2. `groups` (when configured) is a group allowlist keyed by JID, `"*"` = all.
 * 3. `groupPolicy: "allowlist"` also needs the sender in `groupAllowFrom` (the
 *    merged `allowFrom` when unset; `"*"` = everyone). The linked number itself is
 *    always trusted.
 * 4. Activation: the stored `/activation` for the group, else `always` when the
 *    group entry says `requireMention: false`, else `mention`.
 * 5. `mention` needs an @mention of the linked number, a reply to one of our
 *    messages, or a mention pattern match; under `selfChatMode` (a personal number)
 *    mention JIDs and replies are ignored — only patterns count.
 */
import type { AccountConfig } from '../../config/index.js';
import type { InboundMessage } from '../../ports/inbound.js';
import type { Activation } from './activation-store.js';
import { isSelf, type SelfIdentity } from '../../whatsapp/address.js';
import { listAllows } from './identity-match.js';

export type GroupAccess = { ok: true; requireMention: boolean } | { ok: false; reason: string };

type GroupAccountConfig = Pick<AccountConfig, 'groupPolicy' | 'groups' | 'groupAllowFrom'>;

export function groupAccess(acc: GroupAccountConfig, msg: Pick<InboundMessage, 'chatId' | 'from' | 'fromMe'>): GroupAccess {
  if (acc.groupPolicy === 'disabled') return { ok: false, reason: 'group-policy-disabled' };
  const entry = acc.groups ? (acc.groups[msg.chatId] ?? acc.groups['*']) : undefined;
  if (acc.groups && !entry) return { ok: false, reason: 'group-not-allowed' };
  if (acc.groupPolicy === 'allowlist' && !msg.fromMe && !listAllows(acc.groupAllowFrom, msg.from)) {
    return { ok: false, reason: 'group-sender-not-allowed' };
  }
  return { ok: true, requireMention: entry?.requireMention ?? true };
}

export function effectiveActivation(stored: Activation | undefined, requireMention: boolean): Activation {
  return stored ?? (requireMention ? 'mention' : 'always');
}

export interface MentionContext {
  /** The linked account (null before the first link). */
  self: SelfIdentity | null;
  patterns: readonly RegExp[];
  /** Personal-number mode: mention JIDs and replies do not count. */
  ignoreJids: boolean;
}

/** The linked number was @mentioned, replied to, or a mention pattern matched. */
export function wasMentioned(msg: Pick<InboundMessage, 'mentions' | 'quoted' | 'text'>, ctx: MentionContext): boolean {
  if (!ctx.ignoreJids) {
    if (msg.mentions.some((j) => isSelf(j, ctx.self))) return true;
    if (msg.quoted && (isSelf(msg.quoted.senderJid, ctx.self) || isSelf(msg.quoted.senderE164, ctx.self))) {
      return true;
    }
  }
  return msg.text !== '' && ctx.patterns.some((re) => re.test(msg.text));
}
