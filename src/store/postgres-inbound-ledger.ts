/** PostgreSQL: the inbound ledger (the twin of sqlite-inbound-ledger.ts). */
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
import { coalesceLedgerWrites, LEDGER_COLUMNS, LEDGER_DEFAULT_LIMIT, ledgerEntryFromRow } from './ledger-rows.js';
import { changed, keepCount, type PgRunner, type Queryable, type Row } from './postgres-runner.js';

const INSERT = `INSERT INTO inbound_ledger (account_id, chat_jid, message_id, sender, wa_timestamp, upsert_type, message, state, received_at, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, 'received', $8, $8)
  ON CONFLICT (account_id, chat_jid, message_id) DO NOTHING`;

/** `SET …` for the fields given, placeholders from `$1`; the key's three follow. */
function setClause(f: LedgerUpdate): { sql: string; values: unknown[] } {
  const parts: string[] = [];
  const values: unknown[] = [];
  const put = (col: string, v: unknown) => {
    values.push(v);
    parts.push(`${col} = $${values.length}`);
  };
  if (f.state !== undefined) put('state', f.state);
  if (f.reason !== undefined) put('reason', f.reason);
  if (f.requestId !== undefined) put('request_id', f.requestId);
  if (f.replyText !== undefined) put('reply_text', f.replyText);
  if (f.replyIds !== undefined) put('reply_ids', JSON.stringify(f.replyIds));
  if (f.error !== undefined) put('error', f.error);
  put('updated_at', f.at);
  return { sql: parts.join(', '), values };
}

async function insert(q: Queryable, a: LedgerArrival): Promise<boolean> {
  return (
    changed(await q.query(INSERT, [a.accountId, a.chatJid, a.messageId, a.sender, a.waTimestamp, a.upsertType, a.message, a.receivedAt])) > 0
  );
}

async function update(q: Queryable, key: LedgerKey, fields: LedgerUpdate): Promise<boolean> {
  const { sql, values } = setClause(fields);
  const n = values.length;
  const res = await q.query(`UPDATE inbound_ledger SET ${sql} WHERE account_id = $${n + 1} AND chat_jid = $${n + 2} AND message_id = $${n + 3}`, [
    ...values,
    key.accountId,
    key.chatJid,
    key.messageId,
  ]);
  return changed(res) > 0;
}

async function keyByRequest(q: Queryable, accountId: string, requestId: string): Promise<LedgerKey | null> {
  const res = await q.query(
    'SELECT account_id, chat_jid, message_id FROM inbound_ledger WHERE account_id = $1 AND request_id = $2 ORDER BY seq LIMIT 1',
    [accountId, requestId],
  );
  const row = (res.rows as Row[])[0];
  return row ? { accountId: row.account_id as string, chatJid: row.chat_jid as string, messageId: row.message_id as string } : null;
}

async function applyOne(q: Queryable, w: LedgerWrite): Promise<LedgerWriteResult> {
  switch (w.op) {
    case 'record':
      return { changed: await insert(q, w.arrival), key: { accountId: w.arrival.accountId, chatJid: w.arrival.chatJid, messageId: w.arrival.messageId } };
    case 'update':
      return { changed: await update(q, w.key, w.fields), key: w.key };
    case 'update-by-request': {
      const key = await keyByRequest(q, w.accountId, w.requestId);
      return { changed: key !== null && (await update(q, key, w.fields)), key };
    }
  }
}

const accountOf = (w: LedgerWrite): string => (w.op === 'record' ? w.arrival.accountId : w.op === 'update' ? w.key.accountId : w.accountId);

/** The one account a batch writes for (the store's fence checks it), when it is one. */
function soleAccount(writes: readonly LedgerWrite[]): { accountId?: string } {
  const accounts = new Set(writes.map(accountOf));
  return accounts.size === 1 ? { accountId: [...accounts][0]! } : {};
}

export function ledger(r: PgRunner): LedgerStore {
  return {
    apply: (writes) =>
      r.write(
        'write the inbound ledger',
        async (q) => {
          // Moves of one entry in the batch (one transaction here) are one statement.
          const { ops, of } = coalesceLedgerWrites(writes);
          const out: LedgerWriteResult[] = [];
          for (const w of ops) out.push(await applyOne(q, w));
          return of.map((j) => ({ ...out[j]! }));
        },
        soleAccount(writes),
      ),
    record: (arrivals) =>
      r.write(
        'record inbound messages',
        async (q) => {
          const out: boolean[] = [];
          for (const a of arrivals) out.push(await insert(q, a));
          return out;
        },
        soleAccount(arrivals.map((arrival) => ({ op: 'record', arrival }))),
      ),
    get: (key) =>
      r.read('read an inbound message', async (q) => {
        const res = await q.query(`SELECT ${LEDGER_COLUMNS} FROM inbound_ledger WHERE account_id = $1 AND chat_jid = $2 AND message_id = $3`, [
          key.accountId,
          key.chatJid,
          key.messageId,
        ]);
        const row = (res.rows as Row[])[0];
        return row ? ledgerEntryFromRow(row) : undefined;
      }),
    update: (key, fields) => r.write('update an inbound message', (q) => update(q, key, fields), { accountId: key.accountId }),
    byRequest: (accountId, requestId) =>
      r.read('find an inbound message by request', async (q) => {
        const res = await q.query(`SELECT ${LEDGER_COLUMNS} FROM inbound_ledger WHERE account_id = $1 AND request_id = $2 ORDER BY seq LIMIT 1`, [
          accountId,
          requestId,
        ]);
        const row = (res.rows as Row[])[0];
        return row ? ledgerEntryFromRow(row) : undefined;
      }),
    list: (query = {}) =>
      r.read('list inbound messages', async (q) => {
        const where: string[] = [];
        const values: unknown[] = [];
        const add = (sql: (n: number) => string, v: unknown) => {
          values.push(v);
          where.push(sql(values.length));
        };
        if (query.accountId !== undefined) add((n) => `account_id = $${n}`, query.accountId);
        if (query.chatJid !== undefined) add((n) => `chat_jid = $${n}`, query.chatJid);
        if (query.states !== undefined) add((n) => `state = ANY($${n}::text[])`, [...query.states]);
        if (query.since !== undefined) add((n) => `received_at >= $${n}`, query.since);
        values.push(keepCount(query.limit ?? LEDGER_DEFAULT_LIMIT));
        const res = await q.query(
          `SELECT ${LEDGER_COLUMNS} FROM inbound_ledger ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT $${values.length}`,
          values,
        );
        return (res.rows as Row[]).map(ledgerEntryFromRow).reverse();
      }),
    counts: (accountId) =>
      r.read('count inbound messages', async (q) => {
        const res =
          accountId === undefined
            ? await q.query('SELECT state, COUNT(*) AS n FROM inbound_ledger GROUP BY state')
            : await q.query('SELECT state, COUNT(*) AS n FROM inbound_ledger WHERE account_id = $1 GROUP BY state', [accountId]);
        const out = Object.fromEntries(LEDGER_STATES.map((s) => [s, 0])) as Record<LedgerState, number>;
        for (const row of res.rows as Row[]) out[row.state as LedgerState] = Number(row.n);
        return out;
      }),
    prune: (before) =>
      r.write('prune the inbound ledger', async (q) => changed(await q.query('DELETE FROM inbound_ledger WHERE received_at < $1', [before]))),
  };
}
