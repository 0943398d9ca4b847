/**
 * The dedupe memory of the file layout, before the inbound ledger (src/ledger/) took
 * its place: `<state>/whatsapp-dedupe/<accountId>.json` is imported once
 * (`importDedupeFiles`, run by state-import.ts) into `store.handled` as `in|<chatId>|<id>`
 * keys, and the ledger still treats a message with such a key as already handled.
 * Those files name a chat by its chat id (E.164), not its JID, so they cannot become
 * ledger entries (keyed by chat JID); and they say nothing of what became of a message.
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
