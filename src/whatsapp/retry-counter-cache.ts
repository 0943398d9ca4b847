/**
 * Baileys' `msgRetryCounterCache` (its `CacheStore`): how often each sent message was
 * sent again for each device that asked (`<id>:<participant>` → count).
 *
 * Baileys makes a fresh cache per socket when none is given, so every reconnect
 * forgot the counts and a contact stuck in a retry loop could make us re-send a
 * message without end, a few times per connection. One cache per account transport
 * outlives its sockets: a message is re-sent at most a few times per device
 * (`maxMsgRetryCount`, see baileys-transport.ts) within `ttlMs`, however the
 * connection comes and goes. Bounded: the oldest entries go past `maxEntries`.
 */
export interface RetryCounterCacheOptions {
  /** How long a count is kept (Baileys' own default: one hour). */
  ttlMs?: number;
  /** Most counts kept; the oldest go first. */
  maxEntries?: number;
  now?: () => number;
}

export const RETRY_COUNT_TTL_MS = 60 * 60 * 1000;
export const RETRY_COUNT_MAX_ENTRIES = 10_000;

export class RetryCounterCache {
  private readonly entries = new Map<string, { value: unknown; expires: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(opts: RetryCounterCacheOptions = {}) {
    this.ttlMs = opts.ttlMs ?? RETRY_COUNT_TTL_MS;
    this.maxEntries = opts.maxEntries ?? RETRY_COUNT_MAX_ENTRIES;
    this.now = opts.now ?? Date.now;
  }

  get<T>(key: string): T | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value as T;
  }

  set<T>(key: string, value: T): boolean {
    this.entries.delete(key); // re-inserted last: the Map's order is the age order
    this.entries.set(key, { value, expires: this.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return true;
  }

  del(key: string): boolean {
    return this.entries.delete(key);
  }

  flushAll(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
