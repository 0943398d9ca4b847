/**
 * The sub-stores of the SQLite store, written against a `SqlRunner` so the same code
 * serves plain calls (each one its own transaction) and a `transaction(fn)` handle.
 * The SQL is kept plain (see migrations.ts) so the PostgreSQL port is a translation of
 * placeholders, not of ideas.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type {
  ActivationMode,
  ActivationStorePort,
  ConnectionRecord,
  ConnectionStore,
  CredsStore,
  HandledStore,
  KeyStore,
  KeyWrite,
  LidStore,
  PairingRequestRow,
  PairingStorePort,
  SentMessage,
  SentStore,
  SessionStorePort,
  SessionSummary,
  SessionTurn,
  StoreTables,
} from './port.js';

export interface SqlRunner {
  /** A cached prepared statement. */
  stmt(sql: string): BetterSqlite3.Statement;
  /** Run reads; `what` names the operation in errors. */
  read<T>(what: string, work: () => T): Promise<T>;
  /** Run writes atomically; `durable` commits with synchronous=FULL (survives a power cut). */
  write<T>(what: string, work: () => T, opts?: { durable?: boolean }): Promise<T>;
  /** The store's clock (ms since the epoch), for the rows it stamps itself. */
  now(): number;
}

type Row = Record<string, unknown>;

function creds(r: SqlRunner): CredsStore {
  return {
    load: (accountId) =>
      r.read('load creds', () => {
        const row = r.stmt('SELECT creds, previous, updated_at FROM wa_creds WHERE account_id = ?').get(accountId) as
          | Row
          | undefined;
        if (!row) return undefined;
        return { current: row.creds as string, previous: (row.previous as string | null) ?? null, updatedAt: Number(row.updated_at) };
      }),
    save: (accountId, json, opts) =>
      r.write(
        'save creds',
        () => {
          r.stmt(
            `INSERT INTO wa_creds (account_id, creds, previous, updated_at) VALUES (?, ?, NULL, ?)
             ON CONFLICT (account_id) DO UPDATE SET previous = wa_creds.creds, creds = excluded.creds, updated_at = excluded.updated_at`,
          ).run(accountId, json, r.now());
        },
        { durable: opts?.durable ?? true },
      ),
    remove: (accountId) =>
      r.write(
        'remove creds',
        () => {
          r.stmt('DELETE FROM wa_keys WHERE account_id = ?').run(accountId);
          r.stmt('DELETE FROM wa_creds WHERE account_id = ?').run(accountId);
        },
        { durable: true },
      ),
    accounts: () =>
      r.read('list accounts', () =>
        (r.stmt('SELECT account_id FROM wa_creds ORDER BY account_id').all() as Row[]).map((x) => x.account_id as string),
      ),
  };
}

function keys(r: SqlRunner): KeyStore {
  const getSql = 'SELECT value FROM wa_keys WHERE account_id = ? AND type = ? AND id = ?';
  const upsertSql = `INSERT INTO wa_keys (account_id, type, id, value) VALUES (?, ?, ?, ?)
     ON CONFLICT (account_id, type, id) DO UPDATE SET value = excluded.value`;
  const deleteSql = 'DELETE FROM wa_keys WHERE account_id = ? AND type = ? AND id = ?';
  return {
    get: (accountId, type, ids) =>
      r.read('read keys', () => {
        const get = r.stmt(getSql).pluck();
        const out = new Map<string, string>();
        for (const id of ids) {
          const v = get.get(accountId, type, id) as string | undefined;
          if (v !== undefined) out.set(id, v);
        }
        return out;
      }),
    set: (accountId, writes: readonly KeyWrite[]) =>
      r.write('write keys', () => {
        const upsert = r.stmt(upsertSql);
        const del = r.stmt(deleteSql);
        for (const w of writes) {
          if (w.value === null) del.run(accountId, w.type, w.id);
          else upsert.run(accountId, w.type, w.id, w.value);
        }
      }),
    clear: (accountId) =>
      r.write('clear keys', () => {
        r.stmt('DELETE FROM wa_keys WHERE account_id = ?').run(accountId);
      }),
    count: (accountId) =>
      r.read('count keys', () => {
        const rows = r.stmt('SELECT type, COUNT(*) AS n FROM wa_keys WHERE account_id = ? GROUP BY type ORDER BY type').all(accountId) as Row[];
        return Object.fromEntries(rows.map((x) => [x.type as string, Number(x.n)]));
      }),
  };
}

/** Delete all but the newest `keep` rows of `table` for the account (by `seq`). */
function trimSql(table: string): string {
  return `DELETE FROM ${table} WHERE account_id = ? AND seq <= (
      SELECT seq FROM ${table} WHERE account_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`;
}

function keepCount(keep: number): number {
  if (!Number.isInteger(keep) || keep < 0) throw new RangeError(`keep must be a non-negative integer, got ${keep}`);
  return keep;
}

function handled(r: SqlRunner): HandledStore {
  return {
    add: (accountId, key, at) =>
      r.write('record a handled message', () => {
        const res = r
          .stmt('INSERT INTO handled_messages (account_id, key, at) VALUES (?, ?, ?) ON CONFLICT (account_id, key) DO NOTHING')
          .run(accountId, key, at);
        return res.changes > 0;
      }),
    has: (accountId, key) =>
      r.read('look up a handled message', () =>
        r.stmt('SELECT 1 FROM handled_messages WHERE account_id = ? AND key = ?').get(accountId, key) !== undefined,
      ),
    trim: (accountId, keep) =>
      r.write('trim handled messages', () => r.stmt(trimSql('handled_messages')).run(accountId, accountId, keepCount(keep)).changes),
  };
}

function sent(r: SqlRunner): SentStore {
  return {
    put: (accountId, msg: SentMessage, keep) =>
      r.write('record a sent message', () => {
        const n = keepCount(keep);
        r.stmt(
          `INSERT INTO sent_messages (account_id, id, chat_jid, message, at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (account_id, id) DO UPDATE SET chat_jid = excluded.chat_jid, message = excluded.message, at = excluded.at`,
        ).run(accountId, msg.id, msg.chatJid, msg.message, msg.at);
        r.stmt(trimSql('sent_messages')).run(accountId, accountId, n);
      }),
    get: (accountId, id) =>
      r.read('read a sent message', () => {
        const row = r.stmt('SELECT id, chat_jid, message, at FROM sent_messages WHERE account_id = ? AND id = ?').get(accountId, id) as
          | Row
          | undefined;
        return row ? { id: row.id as string, chatJid: row.chat_jid as string, message: row.message as string, at: Number(row.at) } : undefined;
      }),
    count: (accountId) =>
      r.read('count sent messages', () =>
        Number(r.stmt('SELECT COUNT(*) FROM sent_messages WHERE account_id = ?').pluck().get(accountId)),
      ),
  };
}

function lids(r: SqlRunner): LidStore {
  return {
    put: (accountId, lid, pn, at) =>
      r.write('record a LID mapping', () => {
        r.stmt(
          `INSERT INTO lid_map (account_id, lid, pn, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (account_id, lid) DO UPDATE SET pn = excluded.pn, updated_at = excluded.updated_at`,
        ).run(accountId, lid, pn, at);
      }),
    pnForLid: (accountId, lid) =>
      r.read('read a LID mapping', () =>
        r.stmt('SELECT pn FROM lid_map WHERE account_id = ? AND lid = ?').pluck().get(accountId, lid) as string | undefined,
      ),
    lidForPn: (accountId, pn) =>
      r.read('read a LID mapping', () =>
        r
          .stmt('SELECT lid FROM lid_map WHERE account_id = ? AND pn = ? ORDER BY updated_at DESC, lid LIMIT 1')
          .pluck()
          .get(accountId, pn) as string | undefined,
      ),
  };
}

function toRequest(row: Row): PairingRequestRow {
  const req: PairingRequestRow = {
    code: row.code as string,
    sender: row.sender as string,
    accountId: row.account_id as string,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
  };
  if (row.name !== null && row.name !== undefined) req.name = row.name as string;
  return req;
}

function pairing(r: SqlRunner): PairingStorePort {
  return {
    requests: () =>
      r.read('list pairing requests', () =>
        (r.stmt('SELECT * FROM pairing_requests ORDER BY created_at, code').all() as Row[]).map(toRequest),
      ),
    addRequest: (req) =>
      r.write('add a pairing request', () => {
        r.stmt(
          'INSERT INTO pairing_requests (code, sender, account_id, name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
        ).run(req.code, req.sender, req.accountId, req.name ?? null, req.createdAt, req.expiresAt);
      }),
    removeRequest: (code) =>
      r.write('remove a pairing request', () => r.stmt('DELETE FROM pairing_requests WHERE code = ?').run(code).changes > 0),
    removeExpired: (now) =>
      r.write('remove expired pairing requests', () => r.stmt('DELETE FROM pairing_requests WHERE expires_at <= ?').run(now).changes),
    approve: (sender, at) =>
      r.write('approve a sender', () =>
        r.stmt('INSERT INTO approved_senders (sender, approved_at) VALUES (?, ?) ON CONFLICT (sender) DO NOTHING').run(sender, at)
          .changes > 0,
      ),
    approved: () =>
      r.read('list approved senders', () => r.stmt('SELECT sender FROM approved_senders ORDER BY seq').pluck().all() as string[]),
    isApproved: (sender) =>
      r.read('look up an approved sender', () =>
        r.stmt('SELECT 1 FROM approved_senders WHERE sender = ?').get(sender) !== undefined,
      ),
  };
}

function isMode(v: unknown): v is ActivationMode {
  return v === 'mention' || v === 'always';
}

function activations(r: SqlRunner): ActivationStorePort {
  return {
    get: (accountId, groupJid) =>
      r.read('read a group activation', () => {
        const v = r.stmt('SELECT mode FROM group_activations WHERE account_id = ? AND group_jid = ?').pluck().get(accountId, groupJid);
        return isMode(v) ? v : undefined;
      }),
    set: (accountId, groupJid, mode, at) =>
      r.write('write a group activation', () => {
        if (mode === null) {
          r.stmt('DELETE FROM group_activations WHERE account_id = ? AND group_jid = ?').run(accountId, groupJid);
          return;
        }
        r.stmt(
          `INSERT INTO group_activations (account_id, group_jid, mode, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (account_id, group_jid) DO UPDATE SET mode = excluded.mode, updated_at = excluded.updated_at`,
        ).run(accountId, groupJid, mode, at);
      }),
    all: (accountId) =>
      r.read('list group activations', () => {
        const rows = r.stmt('SELECT group_jid, mode FROM group_activations WHERE account_id = ? ORDER BY group_jid').all(accountId) as Row[];
        const out: Record<string, ActivationMode> = {};
        for (const row of rows) if (isMode(row.mode)) out[row.group_jid as string] = row.mode;
        return out;
      }),
  };
}

function num(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

function connections(r: SqlRunner): ConnectionStore {
  return {
    get: (accountId) =>
      r.read('read connection history', () => {
        const row = r.stmt('SELECT linked_at, last_connected_at FROM connections WHERE account_id = ?').get(accountId) as Row | undefined;
        return row ? { linkedAt: num(row.linked_at), lastConnectedAt: num(row.last_connected_at) } : undefined;
      }),
    update: (accountId, fields: Partial<ConnectionRecord>) =>
      r.write('write connection history', () => {
        const row = r.stmt('SELECT linked_at, last_connected_at FROM connections WHERE account_id = ?').get(accountId) as Row | undefined;
        const linkedAt = fields.linkedAt !== undefined ? fields.linkedAt : num(row?.linked_at);
        const lastConnectedAt = fields.lastConnectedAt !== undefined ? fields.lastConnectedAt : num(row?.last_connected_at);
        r.stmt(
          `INSERT INTO connections (account_id, linked_at, last_connected_at) VALUES (?, ?, ?)
           ON CONFLICT (account_id) DO UPDATE SET linked_at = excluded.linked_at, last_connected_at = excluded.last_connected_at`,
        ).run(accountId, linkedAt, lastConnectedAt);
      }),
    remove: (accountId) =>
      r.write('remove connection history', () => {
        r.stmt('DELETE FROM connections WHERE account_id = ?').run(accountId);
      }),
  };
}

function toTurn(row: Row): SessionTurn {
  return { role: row.role as SessionTurn['role'], text: row.text as string, at: Number(row.at), meta: (row.meta as string | null) ?? null };
}

function sessions(r: SqlRunner): SessionStorePort {
  return {
    append: (sessionKey, turns) =>
      r.write('append session turns', () => {
        const insert = r.stmt('INSERT INTO session_turns (session_key, role, text, at, meta) VALUES (?, ?, ?, ?, ?)');
        for (const t of turns) insert.run(sessionKey, t.role, t.text, t.at, t.meta);
      }),
    turns: (sessionKey, limit) =>
      r.read('read session turns', () => {
        const rows =
          limit === undefined
            ? (r.stmt('SELECT role, text, at, meta FROM session_turns WHERE session_key = ? ORDER BY seq').all(sessionKey) as Row[])
            : (r
                .stmt(
                  `SELECT role, text, at, meta FROM (
                     SELECT seq, role, text, at, meta FROM session_turns WHERE session_key = ? ORDER BY seq DESC LIMIT ?
                   ) AS recent ORDER BY seq`,
                )
                .all(sessionKey, keepCount(limit)) as Row[]);
        return rows.map(toTurn);
      }),
    list: () =>
      r.read('list sessions', () =>
        (
          r
            .stmt(
              `SELECT session_key, COUNT(*) AS turns, MAX(at) AS last_at FROM session_turns
               GROUP BY session_key ORDER BY last_at DESC, session_key`,
            )
            .all() as Row[]
        ).map((row): SessionSummary => ({ key: row.session_key as string, turns: Number(row.turns), lastAt: Number(row.last_at) })),
      ),
    clear: (sessionKey) =>
      r.write('clear a session', () => {
        r.stmt('DELETE FROM session_turns WHERE session_key = ?').run(sessionKey);
      }),
  };
}

export function sqliteTables(r: SqlRunner): StoreTables {
  return {
    creds: creds(r),
    keys: keys(r),
    handled: handled(r),
    sent: sent(r),
    lids: lids(r),
    pairing: pairing(r),
    activations: activations(r),
    connections: connections(r),
    sessions: sessions(r),
  };
}
