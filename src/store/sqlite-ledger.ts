/** SQLite: handled-message ids and sent messages (both bounded per account), and the LID map. */
import type { HandledStore, LidStore, SentMessage, SentStore } from './port.js';
import { keepCount, trimSql, type Row, type SqlRunner } from './sqlite-runner.js';

export function handled(r: SqlRunner): HandledStore {
  return {
    add: (accountId, key, at) =>
      r.write('record a handled message', () => {
        const res = r
          .stmt('INSERT INTO handled_messages (account_id, key, at) VALUES (?, ?, ?) ON CONFLICT (account_id, key) DO NOTHING')
          .run(accountId, key, at);
        return res.changes > 0;
      }),
    addMany: (accountId, keys, at) =>
      r.write('record handled messages', () => {
        const insert = r.stmt('INSERT INTO handled_messages (account_id, key, at) VALUES (?, ?, ?) ON CONFLICT (account_id, key) DO NOTHING');
        let added = 0;
        for (const key of keys) added += insert.run(accountId, key, at).changes;
        return added;
      }),
    recent: (accountId, limit) =>
      r.read('read handled messages', () =>
        (
          r
            .stmt('SELECT key FROM handled_messages WHERE account_id = ? ORDER BY seq DESC LIMIT ?')
            .pluck()
            .all(accountId, keepCount(limit)) as string[]
        ).reverse(),
      ),
    has: (accountId, key) =>
      r.read('look up a handled message', () =>
        r.stmt('SELECT 1 FROM handled_messages WHERE account_id = ? AND key = ?').get(accountId, key) !== undefined,
      ),
    trim: (accountId, keep) =>
      r.write('trim handled messages', () => r.stmt(trimSql('handled_messages')).run(accountId, accountId, keepCount(keep)).changes),
  };
}

export function sent(r: SqlRunner): SentStore {
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

export function lids(r: SqlRunner): LidStore {
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
