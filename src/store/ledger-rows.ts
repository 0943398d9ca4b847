/** What both SQL stores' inbound ledgers share: the columns read and a row's mapping (no driver in here). */
import type { LedgerEntry, LedgerState } from './port.js';

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
