/**
 * Group history for injection (SPEC §5 "History injection"): per account and group,
 * the gated messages since the last reply, oldest first, at most `limit` each
 * (0 = none kept), for at most `maxGroups` groups (least recently used evicted).
 *
 * `take` hands the not-yet-handed-out entries to an accepted message (they go into
 * the session with it, so they are never handed out twice); `clearDelivered`, on a
 * reply to the group, forgets what was handed out and keeps what was gated since.
 * The access policy (src/actors/access-policy.ts) keeps one and is its only user.
 */
import type { InboundMessage } from '../../ports/inbound.js';

export const MAX_HISTORY_GROUPS = 200;

interface Entry {
  message: InboundMessage;
  handedOut: boolean;
}

export class GroupHistory {
  /** Insertion order = LRU order (touched groups move to the end). */
  private readonly groups = new Map<string, Entry[]>();

  constructor(private readonly maxGroups = MAX_HISTORY_GROUPS) {}

  private static key(accountId: string, groupJid: string): string {
    return `${accountId}\u0000${groupJid}`;
  }

  private touch(key: string): Entry[] {
    const list = this.groups.get(key) ?? [];
    this.groups.delete(key);
    this.groups.set(key, list);
    while (this.groups.size > this.maxGroups) {
      const oldest = this.groups.keys().next().value as string;
      this.groups.delete(oldest);
    }
    return list;
  }

  /** Keep a gated message; `limit` 0 keeps nothing. */
  record(accountId: string, groupJid: string, message: InboundMessage, limit: number): void {
    if (limit <= 0) return;
    const list = this.touch(GroupHistory.key(accountId, groupJid));
    list.push({ message, handedOut: false });
    while (list.length > limit) list.shift();
  }

  /** Entries not handed out yet, oldest first; they are marked handed out. */
  take(accountId: string, groupJid: string, limit: number): InboundMessage[] {
    const key = GroupHistory.key(accountId, groupJid);
    const list = this.groups.get(key);
    if (!list || limit <= 0) return [];
    this.touch(key);
    const fresh = list.filter((e) => !e.handedOut).slice(-limit);
    for (const e of fresh) e.handedOut = true;
    return fresh.map((e) => e.message);
  }

  /** A reply reached the group: drop what was handed out. */
  clearDelivered(accountId: string, groupJid: string): void {
    // Every reply comes here, most of them to DMs or to groups with nothing kept: no key is built then.
    if (this.groups.size === 0) return;
    const key = GroupHistory.key(accountId, groupJid);
    const list = this.groups.get(key);
    if (!list) return;
    const rest = list.filter((e) => !e.handedOut);
    if (rest.length === 0) this.groups.delete(key);
    else this.groups.set(key, rest);
  }

  /** Everything currently kept for a group (inspection, tests). */
  peek(accountId: string, groupJid: string): InboundMessage[] {
    return (this.groups.get(GroupHistory.key(accountId, groupJid)) ?? []).map((e) => e.message);
  }

  summary(): { groups: number; messages: number } {
    let messages = 0;
    for (const l of this.groups.values()) messages += l.length;
    return { groups: this.groups.size, messages };
  }
}
