/**
 * Group metadata cache (SPEC §5): subject and participants per account and group,
 * kept 5 minutes; failures are cached too (as `null`), so a group WhatsApp will not
 * describe is asked at most once per TTL. Concurrent lookups share one request;
 * at most `maxEntries` groups are kept (oldest evicted).
 */
import type { GroupInfo } from '../../ports/transport.js';

export const GROUP_METADATA_TTL_MS = 5 * 60_000;

export interface GroupMetadataCacheOptions {
  fetch: (accountId: string, groupJid: string) => Promise<GroupInfo>;
  now: () => number;
  ttlMs?: number;
  maxEntries?: number;
  onError?: (err: unknown, accountId: string, groupJid: string) => void;
}

interface Slot {
  expiresAt: number;
  value: Promise<GroupInfo | null>;
}

export class GroupMetadataCache {
  private readonly slots = new Map<string, Slot>();
  private fetches = 0;

  constructor(private readonly opts: GroupMetadataCacheOptions) {}

  /** The group's metadata, or null when it could not be fetched (cached either way). */
  get(accountId: string, groupJid: string): Promise<GroupInfo | null> {
    const key = `${accountId}\u0000${groupJid}`;
    const now = this.opts.now();
    const hit = this.slots.get(key);
    if (hit && hit.expiresAt > now) return hit.value;
    this.slots.delete(key);
    this.fetches += 1;
    const value = (async () => {
      try {
        return await this.opts.fetch(accountId, groupJid);
      } catch (err) {
        this.opts.onError?.(err, accountId, groupJid);
        return null;
      }
    })();
    this.slots.set(key, { expiresAt: now + (this.opts.ttlMs ?? GROUP_METADATA_TTL_MS), value });
    const max = this.opts.maxEntries ?? 1000;
    while (this.slots.size > max) this.slots.delete(this.slots.keys().next().value as string);
    return value;
  }

  /** The group subject for envelopes; null when unknown (use the JID). */
  async subject(accountId: string, groupJid: string): Promise<string | null> {
    const info = await this.get(accountId, groupJid);
    return info?.subject || null;
  }

  summary(): { groups: number; fetches: number } {
    return { groups: this.slots.size, fetches: this.fetches };
  }

  clear(): void {
    this.slots.clear();
  }
}
