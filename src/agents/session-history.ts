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
  const limits = normalizedLimits(account.dms);
  if (limits.size > 0) {
    const limit = limits.get(normalizeSender(chatId));
    if (limit !== undefined) return limit;
  }
  return account.dmHistoryLimit;
}

type DmsConfig = Record<string, { historyLimit?: number | undefined }>;

/**
 * An account's `dms` limits by normalized key (the first entry of a spelling wins, as
 * a scan in key order would), built once per loaded `dms` object: a DM from a chat not
 * listed costs a lookup, not a normalization of every key.
 */
const limitsByDms = new WeakMap<DmsConfig, Map<string, number>>();
function normalizedLimits(dms: DmsConfig): Map<string, number> {
  let limits = limitsByDms.get(dms);
  if (!limits) {
    limits = new Map();
    for (const [key, entry] of Object.entries(dms)) {
      const norm = normalizeSender(key);
      if (entry.historyLimit !== undefined && !limits.has(norm)) limits.set(norm, entry.historyLimit);
    }
    limitsByDms.set(dms, limits);
  }
  return limits;
}
