/**
 * Which stored turns the model sees (SPEC §6):
 * - `idleMs`: a gap of silence longer than this (between two turns, or between the
 *   last turn and `now`) starts the session afresh; only what follows it is given;
 * - `userTurns`: at most this many user turns, plus the assistant replies after the
 *   first of them (undefined = no limit, 0 = nothing).
 */
import { normalizeSender } from '../whatsapp/address.js';
import type { SessionEntry } from './session-entry.js';

export interface HistoryOptions {
  userTurns?: number | undefined;
  idleMs?: number | undefined;
  /** Needed with idleMs: the time of the current message. */
  now?: number;
}

export function selectHistory(entries: readonly SessionEntry[], opts: HistoryOptions): SessionEntry[] {
  let start = 0;
  if (opts.idleMs !== undefined && entries.length > 0) {
    const idle = opts.idleMs;
    const last = entries[entries.length - 1] as SessionEntry;
    if (opts.now !== undefined && opts.now - last.at > idle) return [];
    for (let i = entries.length - 1; i > 0; i -= 1) {
      if ((entries[i] as SessionEntry).at - (entries[i - 1] as SessionEntry).at > idle) {
        start = i;
        break;
      }
    }
  }
  const kept = entries.slice(start);
  if (opts.userTurns === undefined) return kept;
  if (opts.userTurns <= 0) return [];
  let seen = 0;
  for (let i = kept.length - 1; i >= 0; i -= 1) {
    if ((kept[i] as SessionEntry).role !== 'user') continue;
    seen += 1;
    if (seen === opts.userTurns) return kept.slice(i);
  }
  return kept;
}

/** The DM history limit for a chat: `dms["<phone>"].historyLimit`, else `dmHistoryLimit`. */
export function dmHistoryLimitFor(
  account: { dmHistoryLimit: number | undefined; dms: Record<string, { historyLimit?: number | undefined }> },
  chatId: string,
): number | undefined {
  const exact = account.dms[chatId]?.historyLimit;
  if (exact !== undefined) return exact;
  const want = normalizeSender(chatId);
  for (const [key, entry] of Object.entries(account.dms)) {
    if (entry.historyLimit !== undefined && normalizeSender(key) === want) return entry.historyLimit;
  }
  return account.dmHistoryLimit;
}
