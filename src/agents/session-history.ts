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
  const [start, end] = historyRange(entries, opts);
  return entries.slice(start, end);
}

/** The turns `selectHistory` keeps, as `[start, end)` of `entries`. */
export function historyRange(entries: readonly SessionEntry[], opts: HistoryOptions): [number, number] {
  const end = entries.length;
  let start = 0;
  if (opts.idleMs !== undefined && end > 0) {
    const idle = opts.idleMs;
    const last = entries[end - 1] as SessionEntry;
    if (opts.now !== undefined && opts.now - last.at > idle) return [end, end];
    for (let i = end - 1; i > 0; i -= 1) {
      if ((entries[i] as SessionEntry).at - (entries[i - 1] as SessionEntry).at > idle) {
        start = i;
        break;
      }
    }
  }
  if (opts.userTurns === undefined) return [start, end];
  if (opts.userTurns <= 0) return [end, end];
  let seen = 0;
  for (let i = end - 1; i >= start; i -= 1) {
    if ((entries[i] as SessionEntry).role !== 'user') continue;
    seen += 1;
    if (seen === opts.userTurns) return [i, end];
  }
  return [start, end];
}

/**
 * The history a run is given, copied when first read: a provider that never reads
 * it (the in-process echo agent) costs no copy of the session, which with
 * `session.scope: "main"` and no limit is every turn of every chat.
 *
 * Safe because the session store's cached entries are append-only (appends push,
 * nothing is removed or replaced in place; an evicted session's array is dropped, not
 * changed): turns `[start, end)` taken now are the same turns whenever they are read.
 * `withoutUserTurn` leaves out a user turn by message id (a resumed message's own turn).
 */
export class HistorySnapshot {
  private copy: SessionEntry[] | null = null;

  constructor(
    private readonly entries: readonly SessionEntry[],
    private readonly start: number,
    private readonly end: number,
    private readonly withoutUserTurn: string | null = null,
  ) {}

  static of(entries: readonly SessionEntry[], opts: HistoryOptions): HistorySnapshot {
    const [start, end] = historyRange(entries, opts);
    return new HistorySnapshot(entries, start, end);
  }

  /** The same turns without the user turn of message `messageId`. */
  without(messageId: string): HistorySnapshot {
    return new HistorySnapshot(this.entries, this.start, this.end, messageId);
  }

  /** The turns (one copy, made on the first call; callers may keep or change it). */
  toArray(): SessionEntry[] {
    if (!this.copy) {
      const kept = this.entries.slice(this.start, this.end);
      const skip = this.withoutUserTurn;
      this.copy = skip === null ? kept : kept.filter((e) => !(e.role === 'user' && e.messageId === skip));
    }
    return this.copy;
  }
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
