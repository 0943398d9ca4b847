/**
 * The per-account dedupe store (SPEC §5 "Each message is handled once"): remembers
 * the last `limit` message keys an account handled — inbound `chat|id` keys and the
 * ids of messages we sent ourselves — and persists them to
 * `<state>/whatsapp-dedupe/<accountId>.json` (atomic, 0600), so a redelivery after
 * a gateway restart produces no second reply.
 *
 * Writes are coalesced: `remember` schedules one save; `flush()` waits for it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../config/index.js';

export const DEDUPE_LIMIT = 5000;

/** Key of an inbound message: same account + chat + id = same message. */
export function inboundKey(chatId: string, id: string): string {
  return `in|${chatId}|${id}`;
}

/** Key of a message we sent (any chat): its id. */
export function sentKey(id: string): string {
  return `out|${id}`;
}

interface StoreFile {
  version: 1;
  keys: string[];
}

export class DedupeStore {
  /** Insertion-ordered: the oldest key is evicted first. */
  private readonly keys = new Set<string>();
  private saving: Promise<void> = Promise.resolve();
  private dirty = false;
  private saveFailures = 0;
  /** The store's directory exists (made once per process, not on every save). */
  private dirReady = false;

  constructor(
    readonly file: string,
    private readonly limit = DEDUPE_LIMIT,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.load();
  }

  private load(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.onError(err);
      return;
    }
    try {
      const parsed = JSON.parse(text) as Partial<StoreFile>;
      const keys = Array.isArray(parsed.keys) ? parsed.keys : [];
      for (const k of keys.slice(-this.limit)) if (typeof k === 'string') this.keys.add(k);
    } catch (err) {
      // A corrupt store loses only dedupe memory; it is rewritten on the next save.
      this.onError(err);
    }
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

  /** Remember keys (already known ones move to the newest end) and schedule a save. */
  remember(...keys: string[]): void {
    for (const k of keys) {
      this.keys.delete(k);
      this.keys.add(k);
    }
    while (this.keys.size > this.limit) {
      const oldest = this.keys.values().next().value as string;
      this.keys.delete(oldest);
    }
    this.scheduleSave();
  }

  private scheduleSave(): void {
    if (this.dirty) return;
    this.dirty = true;
    this.saving = this.saving.then(async () => {
      this.dirty = false;
      const data: StoreFile = { version: 1, keys: [...this.keys] };
      try {
        if (!this.dirReady) await fs.promises.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
        this.dirReady = true;
        try {
          await writeFileAtomic(this.file, JSON.stringify(data), 0o600);
        } catch (err) {
          this.dirReady = false; // removed under us? make it again on the next save
          throw err;
        }
      } catch (err) {
        this.saveFailures += 1;
        this.onError(err);
      }
    });
  }

  /** Resolves when every scheduled save has finished. */
  async flush(): Promise<void> {
    let last: Promise<void>;
    do {
      last = this.saving;
      await last;
    } while (last !== this.saving);
  }
}
