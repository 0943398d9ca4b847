/**
 * Group metadata for Baileys' `cachedGroupMetadata`, per socket (a new connection
 * starts empty: whatever changed while we were away is asked again once).
 *
 * Without it Baileys asks WhatsApp for a group's metadata (an `iq xmlns=w:g2`) before
 * every message it sends to the group, and WhatsApp rate-limits those queries. Here a
 * group is asked about once, then served from memory until its TTL passes or WhatsApp
 * says it changed (`group-participants.update`, `groups.update`: `invalidate`), so the
 * next send sees the new members. Concurrent misses share one query; a failed query is
 * not kept (Baileys then asks itself and reports the error). Bounded: the oldest go first.
 */
import type { GroupMetadata } from '@whiskeysockets/baileys';

export const GROUP_CACHE_TTL_MS = 15 * 60_000;
export const GROUP_CACHE_MAX = 500;

export interface SocketGroupCacheOptions {
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

export class SocketGroupCache {
  private readonly slots = new Map<string, { expires: number; value: Promise<GroupMetadata> }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(opts: SocketGroupCacheOptions = {}) {
    this.ttlMs = opts.ttlMs ?? GROUP_CACHE_TTL_MS;
    this.maxEntries = opts.maxEntries ?? GROUP_CACHE_MAX;
    this.now = opts.now ?? Date.now;
  }

  /** The group's metadata: cached, else from `fetch` (kept when it succeeds). */
  get(jid: string, fetch: (jid: string) => Promise<GroupMetadata>): Promise<GroupMetadata> {
    const hit = this.slots.get(jid);
    if (hit && hit.expires > this.now()) return hit.value;
    const value = fetch(jid);
    const slot = { expires: this.now() + this.ttlMs, value };
    this.slots.delete(jid);
    this.slots.set(jid, slot);
    while (this.slots.size > this.maxEntries) this.slots.delete(this.slots.keys().next().value!);
    value.catch(() => {
      if (this.slots.get(jid) === slot) this.slots.delete(jid);
    });
    return value;
  }

  /** WhatsApp said the group changed: the next send asks again. */
  invalidate(jid: string): void {
    this.slots.delete(jid);
  }

  get size(): number {
    return this.slots.size;
  }
}
