/** SQLite: the inbound ledger (every inbound message and what became of it). */
import {
  LEDGER_STATES,
  type LedgerArrival,
  type LedgerKey,
  type LedgerState,
  type LedgerStore,
  type LedgerUpdate,
  type LedgerWrite,
  type LedgerWriteResult,
} from './port.js';
import { LEDGER_COLUMNS, LEDGER_DEFAULT_LIMIT, ledgerEntryFromRow } from './ledger-rows.js';
import { keepCount, type Row, type SqlRunner } from './sqlite-runner.js';

/** The columns an update may set, in a fixed order (one cached statement per combination). */
const UPDATE_FIELDS = [
  ['state', (f: LedgerUpdate) => f.state],
  ['reason', (f: LedgerUpdate) => f.reason],
  ['request_id', (f: LedgerUpdate) => f.requestId],
  ['reply_text', (f: LedgerUpdate) => f.replyText],
  ['reply_ids', (f: LedgerUpdate) => (f.replyIds === undefined ? undefined : JSON.stringify(f.replyIds))],
  ['error', (f: LedgerUpdate) => f.error],
] as const;

/** `UPDATE … SET` statements by the set of fields given (bit i = UPDATE_FIELDS[i]). */
const updateSql = new Map<number, string>();

/** The update's statement text and values (`updated_at` always; then the key). */
function setClause(f: LedgerUpdate): { sql: string; values: unknown[] } {
  let mask = 0;
  const values: unknown[] = [];
  UPDATE_FIELDS.forEach(([, get], i) => {
    const v = get(f);
    if (v === undefined) return;
    mask |= 1 << i;
    values.push(v);
  });
  values.push(f.at);
  let sql = updateSql.get(mask);
  if (sql === undefined) {
    const cols = UPDATE_FIELDS.filter((_, i) => mask & (1 << i)).map(([col]) => `${col} = ?`);
    sql = `UPDATE inbound_ledger SET ${[...cols, 'updated_at = ?'].join(', ')} WHERE account_id = ? AND chat_jid = ? AND message_id = ?`;
    updateSql.set(mask, sql);
  }
  return { sql, values };
}

const INSERT = `INSERT INTO inbound_ledger (account_id, chat_jid, message_id, sender, wa_timestamp, upsert_type, message, state, received_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, 'received', ?, ?)
  ON CONFLICT (account_id, chat_jid, message_id) DO NOTHING`;

export function ledger(r: SqlRunner): LedgerStore {
  const insert = (a: LedgerArrival): boolean =>
    r.stmt(INSERT).run(a.accountId, a.chatJid, a.messageId, a.sender, a.waTimestamp, a.upsertType, a.message, a.receivedAt, a.receivedAt).changes > 0;
  const update = (key: LedgerKey, fields: LedgerUpdate): boolean => {
    const { sql, values } = setClause(fields);
    return r.stmt(sql).run(...values, key.accountId, key.chatJid, key.messageId).changes > 0;
  };
  const keyByRequest = (accountId: string, requestId: string): LedgerKey | null => {
    const row = r
      .stmt('SELECT account_id, chat_jid, message_id FROM inbound_ledger WHERE account_id = ? AND request_id = ? ORDER BY seq LIMIT 1')
      .get(accountId, requestId) as Row | undefined;
    return row ? { accountId: row.account_id as string, chatJid: row.chat_jid as string, messageId: row.message_id as string } : null;
  };
  const applyOne = (w: LedgerWrite): LedgerWriteResult => {
    switch (w.op) {
      case 'record':
        return { changed: insert(w.arrival), key: { accountId: w.arrival.accountId, chatJid: w.arrival.chatJid, messageId: w.arrival.messageId } };
      case 'update':
        return { changed: update(w.key, w.fields), key: w.key };
      case 'update-by-request': {
        const key = keyByRequest(w.accountId, w.requestId);
        return { changed: key !== null && update(key, w.fields), key };
      }
    }
  };
  return {
    apply: (writes, opts) => r.write('write the inbound ledger', () => writes.map(applyOne), { applied: opts?.applied === true }),
    record: (arrivals) => r.write('record inbound messages', () => arrivals.map(insert)),
    get: (key) =>
      r.read('read an inbound message', () => {
        const row = r
          .stmt(`SELECT ${LEDGER_COLUMNS} FROM inbound_ledger WHERE account_id = ? AND chat_jid = ? AND message_id = ?`)
          .get(key.accountId, key.chatJid, key.messageId) as Row | undefined;
        return row ? ledgerEntryFromRow(row) : undefined;
      }),
    update: (key, fields) => r.write('update an inbound message', () => update(key, fields)),
    byRequest: (accountId, requestId) =>
      r.read('find an inbound message by request', () => {
        const row = r
          .stmt(`SELECT ${LEDGER_COLUMNS} FROM inbound_ledger WHERE account_id = ? AND request_id = ? ORDER BY seq LIMIT 1`)
          .get(accountId, requestId) as Row | undefined;
        return row ? ledgerEntryFromRow(row) : undefined;
      }),
    list: (q = {}) =>
      r.read('list inbound messages', () => {
        const where: string[] = [];
        const values: unknown[] = [];
        if (q.accountId !== undefined) {
          where.push('account_id = ?');
          values.push(q.accountId);
        }
        if (q.chatJid !== undefined) {
          where.push('chat_jid = ?');
          values.push(q.chatJid);
        }
        if (q.states !== undefined) {
          where.push(q.states.length === 0 ? '1 = 0' : `state IN (${q.states.map(() => '?').join(', ')})`);
          values.push(...q.states);
        }
        if (q.since !== undefined) {
          where.push('received_at >= ?');
          values.push(q.since);
        }
        const sql = `SELECT ${LEDGER_COLUMNS} FROM inbound_ledger ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
        const rows = r.stmt(sql).all(...values, keepCount(q.limit ?? LEDGER_DEFAULT_LIMIT)) as Row[];
        return rows.map(ledgerEntryFromRow).reverse();
      }),
    counts: (accountId) =>
      r.read('count inbound messages', () => {
        const rows = (
          accountId === undefined
            ? r.stmt('SELECT state, COUNT(*) AS n FROM inbound_ledger GROUP BY state').all()
            : r.stmt('SELECT state, COUNT(*) AS n FROM inbound_ledger WHERE account_id = ? GROUP BY state').all(accountId)
        ) as Row[];
        const out = Object.fromEntries(LEDGER_STATES.map((s) => [s, 0])) as Record<LedgerState, number>;
        for (const row of rows) out[row.state as LedgerState] = Number(row.n);
        return out;
      }),
    prune: (before) =>
      r.write('prune the inbound ledger', () => r.stmt('DELETE FROM inbound_ledger WHERE received_at < ?').run(before).changes),
  };
}
