/**
 * The per-account dedupe memory (SPEC §5 "Each message is handled once"): the last
 * `limit` message keys an account handled — inbound `chat|id` keys and the ids of
 * messages we sent ourselves — kept in the store (`store.handled`, SPEC §12), so a
 * redelivery after a gateway restart produces no second reply.
 *
 * The access policy asks on every message, so the answer comes from an in-memory front
 * (the newest `limit` keys, read from the store once per account): `has` is a Set
 * lookup. Writes go behind: `remember` queues the keys and one batched store write per
 * turn of the event loop records them; the store is trimmed to the bound every
 * `limit / 10` keys. `flush()` (awaited when the access policy stops) waits for every
 * queued write. Only this process writes its accounts' keys, so the front stays true.
 *
 * The file layout's `<state>/whatsapp-dedupe/<accountId>.json` is imported once
 * (`importDedupeFiles`, run by state-import.ts).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { moveAside } from '../../store/moved-aside.js';
import type { Store } from '../../store/port.js';
import { dedupeDir } from '../../state-layout.js';

export const DEDUPE_LIMIT = 5000;

/** Key of an inbound message: same account + chat + id = same message. */
export function inboundKey(chatId: string, id: string): string {
  return `in|${chatId}|${id}`;
}

/** Key of a message we sent (any chat): its id. */
export function sentKey(id: string): string {
  return `out|${id}`;
}

export class DedupeStore {
  /** Insertion-ordered: the oldest key is evicted first. */
  private keys = new Set<string>();
  private queued: string[] = [];
  private writing: Promise<void> = Promise.resolve();
  private scheduled = false;
  private sinceTrim = 0;
  private saveFailures = 0;
  /** Resolves once the newest keys were read from the store (a read error is reported, not thrown). */
  readonly ready: Promise<void>;

  constructor(
    private readonly store: Store,
    readonly accountId: string,
    private readonly limit = DEDUPE_LIMIT,
    private readonly onError: (err: unknown) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.ready = store.handled.recent(accountId, limit).then(
      (stored) => {
        // Keys remembered before the read finished are newer than the stored ones.
        this.keys = new Set([...stored, ...this.keys]);
        this.evict();
      },
      (err: unknown) => this.onError(err),
    );
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  get size(): number {
    return this.keys.size;
  }

  get failures(): number {
    return this.saveFailures;
  }

  /** Remember keys (already known ones move to the newest end) and queue their store write. */
  remember(...keys: string[]): void {
    for (const k of keys) {
      this.keys.delete(k);
      this.keys.add(k);
    }
    this.evict();
    this.queued.push(...keys);
    if (this.scheduled) return;
    this.scheduled = true;
    this.writing = this.writing.then(
      () =>
        new Promise<void>((resolve) => {
          setImmediate(() => void this.write().then(resolve));
        }),
    );
  }

  private evict(): void {
    while (this.keys.size > this.limit) {
      const oldest = this.keys.values().next().value as string;
      this.keys.delete(oldest);
    }
  }

  private async write(): Promise<void> {
    this.scheduled = false;
    const batch = this.queued;
    this.queued = [];
    try {
      await this.store.handled.addMany(this.accountId, batch, this.now());
      this.sinceTrim += batch.length;
      if (this.sinceTrim >= Math.max(1, Math.floor(this.limit / 10))) {
        this.sinceTrim = 0;
        await this.store.handled.trim(this.accountId, this.limit);
      }
    } catch (err) {
      this.saveFailures += 1;
      this.onError(err);
    }
  }

  /** Resolves when every queued write has finished. */
  async flush(): Promise<void> {
    let last: Promise<void>;
    do {
      last = this.writing;
      await last;
    } while (last !== this.writing);
  }
}

export interface DedupeImport {
  accountId: string;
  file: string;
  keys: number;
  /** Where the file went; absent when it could not be moved. */
  movedTo?: string;
  /** The file did not parse: nothing was imported from it (dedupe memory only). */
  corrupt?: boolean;
}

/**
 * Import every `<state>/whatsapp-dedupe/<accountId>.json` of the file layout
 * (`{version: 1, keys: [...]}`, oldest first) into `store.handled`, the newest `limit`
 * of each, then move the file aside. A file that does not parse is moved aside too:
 * it held only dedupe memory, which the file layout also dropped on a corrupt file.
 */
export async function importDedupeFiles(
  store: Store,
  stateDir: string,
  opts: { now?: () => number; limit?: number } = {},
): Promise<DedupeImport[]> {
  const dir = dedupeDir(stateDir);
  const now = opts.now ?? Date.now;
  const limit = opts.limit ?? DEDUPE_LIMIT;
  const names = await fs.readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [] as string[];
    throw err;
  });
  const out: DedupeImport[] = [];
  for (const name of names.sort()) {
    if (!name.endsWith('.json') || name.startsWith('.')) continue;
    const file = path.join(dir, name);
    const accountId = name.slice(0, -'.json'.length);
    const text = await fs.readFile(file, 'utf8');
    let keys: string[] | undefined;
    try {
      const parsed = JSON.parse(text) as { keys?: unknown };
      keys = Array.isArray(parsed.keys) ? parsed.keys.filter((k): k is string => typeof k === 'string') : [];
    } catch {
      keys = undefined;
    }
    const at = now();
    const kept = (keys ?? []).slice(-limit);
    if (kept.length > 0) {
      await store.transaction(async (tx) => {
        await tx.handled.addMany(accountId, kept, at);
        await tx.handled.trim(accountId, limit);
      });
    }
    const result: DedupeImport = { accountId, file, keys: kept.length };
    if (keys === undefined) result.corrupt = true;
    result.movedTo = await moveAside(file, at);
    out.push(result);
  }
  return out;
}
