/** What both SQL stores' inbound ledgers share: the columns read and a row's mapping (no driver in here). */
import type { LedgerEntry, LedgerKey, LedgerState, LedgerUpdate, LedgerWrite } from './port.js';

/** A row as a driver returns it: column name → value. */
type Row = Record<string, unknown>;

export const LEDGER_COLUMNS = `seq, account_id, chat_jid, message_id, sender, wa_timestamp, upsert_type, message, state, reason,
  request_id, reply_text, reply_ids, error, received_at, updated_at`;

/** `list()` without a limit. */
export const LEDGER_DEFAULT_LIMIT = 1000;

/** A row of `inbound_ledger` (selected as LEDGER_COLUMNS) as the port's entry; BIGINTs may come as strings. */
export function ledgerEntryFromRow(row: Row): LedgerEntry {
  return {
    seq: Number(row.seq),
    accountId: row.account_id as string,
    chatJid: row.chat_jid as string,
    messageId: row.message_id as string,
    sender: row.sender as string,
    waTimestamp: Number(row.wa_timestamp),
    upsertType: row.upsert_type === 'append' ? 'append' : 'notify',
    message: row.message as string,
    state: row.state as LedgerState,
    reason: (row.reason as string | null) ?? null,
    requestId: (row.request_id as string | null) ?? null,
    replyText: (row.reply_text as string | null) ?? null,
    replyIds: row.reply_ids ? (JSON.parse(row.reply_ids as string) as string[]) : [],
    error: (row.error as string | null) ?? null,
    receivedAt: Number(row.received_at),
    updatedAt: Number(row.updated_at),
  };
}

/** The entry's key as one string (a map key). */
export function ledgerKeyText(k: LedgerKey): string {
  return `${k.accountId}\u0000${k.chatJid}\u0000${k.messageId}`;
}

/**
 * Two moves of one entry as one: field-wise in ask order, the later value of a field
 * wins (`state` too, so the last state asked is the one written); `at` is the later one.
 */
export function mergeLedgerUpdate(earlier: LedgerUpdate, later: LedgerUpdate): LedgerUpdate {
  return mergeLedgerUpdateInto({ ...earlier }, later);
}

/**
 * A copy of a move with every field present (undefined when not given), in one fixed
 * order: one object shape for every move, so merging and reading them stays monomorphic
 * (`{ ...fields }` of differing shapes was a measurable cost per DM).
 */
export function ledgerUpdateOf(f: Omit<LedgerUpdate, 'at'>, at: number): LedgerUpdate {
  return {
    state: f.state,
    reason: f.reason,
    requestId: f.requestId,
    replyText: f.replyText,
    replyIds: f.replyIds,
    error: f.error,
    at,
  } as LedgerUpdate;
}

/** `mergeLedgerUpdate` into `target` itself (no copy); returns it. */
export function mergeLedgerUpdateInto(target: LedgerUpdate, later: LedgerUpdate): LedgerUpdate {
  target.at = later.at;
  if (later.state !== undefined) target.state = later.state;
  if (later.reason !== undefined) target.reason = later.reason;
  if (later.requestId !== undefined) target.requestId = later.requestId;
  if (later.replyText !== undefined) target.replyText = later.replyText;
  if (later.replyIds !== undefined) target.replyIds = later.replyIds;
  if (later.error !== undefined) target.error = later.error;
  return target;
}

/** The statements a batch of ledger writes runs (`ops`), and for each write the op answering it (`of`). */
export interface CoalescedWrites {
  ops: LedgerWrite[];
  of: number[];
}

/**
 * Moves of the same entry in one batch become one statement, at the place of the first
 * (merged with `mergeLedgerUpdate`). A record of that entry ends the merge (a move asked
 * before the arrival stays before it), and so does a move by request id (its lookup must
 * see every move asked before it, and its fields must not be overtaken by later ones).
 */
export function coalesceLedgerWrites(writes: readonly LedgerWrite[]): CoalescedWrites {
  const ops: LedgerWrite[] = [];
  const of: number[] = [];
  const open = new Map<string, number>();
  for (const w of writes) {
    if (w.op === 'update') {
      const k = ledgerKeyText(w.key);
      const j = open.get(k);
      if (j !== undefined) {
        const prev = ops[j] as Extract<LedgerWrite, { op: 'update' }>;
        ops[j] = { op: 'update', key: prev.key, fields: mergeLedgerUpdate(prev.fields, w.fields) };
        of.push(j);
        continue;
      }
      open.set(k, ops.length);
    } else if (w.op === 'record') {
      open.delete(ledgerKeyText(w.arrival));
    } else {
      open.clear();
    }
    of.push(ops.length);
    ops.push(w);
  }
  return { ops, of };
}
