/** PostgreSQL: handled-message ids and sent messages (both bounded per account), and the LID map. */
import type { HandledStore, LidStore, SentMessage, SentStore } from './port.js';
import { changed, keepCount, trimSql, type PgRunner, type Row } from './postgres-runner.js';

export function handled(r: PgRunner): HandledStore {
  return {
    add: (accountId, key, at) =>
      r.write(
        'record a handled message',
        async (q) =>
          changed(
            await q.query(
              'INSERT INTO handled_messages (account_id, key, at) VALUES ($1, $2, $3) ON CONFLICT (account_id, key) DO NOTHING',
              [accountId, key, at],
            ),
          ) > 0,
        { accountId },
      ),
    addMany: (accountId, keys, at) =>
      r.write(
        'record handled messages',
        async (q) => {
          if (keys.length === 0) return 0;
          // ORDER BY the position: the identity values (`seq`) follow the batch's order.
          const res = await q.query(
            `INSERT INTO handled_messages (account_id, key, at)
             SELECT $1, k, $3 FROM unnest($2::text[]) WITH ORDINALITY AS u(k, n) ORDER BY n
             ON CONFLICT (account_id, key) DO NOTHING`,
            [accountId, [...keys], at],
          );
          return changed(res);
        },
        { accountId },
      ),
    recent: (accountId, limit) =>
      r.read('read handled messages', async (q) => {
        const res = await q.query('SELECT key FROM handled_messages WHERE account_id = $1 ORDER BY seq DESC LIMIT $2', [
          accountId,
          keepCount(limit),
        ]);
        return (res.rows as Row[]).map((x) => x.key as string).reverse();
      }),
    has: (accountId, key) =>
      r.read('look up a handled message', async (q) =>
        changed(await q.query('SELECT 1 FROM handled_messages WHERE account_id = $1 AND key = $2', [accountId, key])) > 0,
      ),
    trim: (accountId, keep) =>
      r.write('trim handled messages', async (q) => changed(await q.query(trimSql('handled_messages'), [accountId, keepCount(keep)])), {
        accountId,
      }),
  };
}

export function sent(r: PgRunner): SentStore {
  return {
    put: (accountId, msg: SentMessage, keep) =>
      r.write(
        'record a sent message',
        async (q) => {
          const n = keepCount(keep);
          await q.query(
            `INSERT INTO sent_messages (account_id, id, chat_jid, message, at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (account_id, id) DO UPDATE SET chat_jid = excluded.chat_jid, message = excluded.message, at = excluded.at`,
            [accountId, msg.id, msg.chatJid, msg.message, msg.at],
          );
          await q.query(trimSql('sent_messages'), [accountId, n]);
        },
        { accountId },
      ),
    get: (accountId, id) =>
      r.read('read a sent message', async (q) => {
        const row = (await q.query('SELECT id, chat_jid, message, at FROM sent_messages WHERE account_id = $1 AND id = $2', [accountId, id]))
          .rows[0] as Row | undefined;
        return row ? { id: row.id as string, chatJid: row.chat_jid as string, message: row.message as string, at: Number(row.at) } : undefined;
      }),
    count: (accountId) =>
      r.read('count sent messages', async (q) =>
        Number(((await q.query('SELECT COUNT(*) AS n FROM sent_messages WHERE account_id = $1', [accountId])).rows[0] as Row).n),
      ),
  };
}

export function lids(r: PgRunner): LidStore {
  const one = async (q: import('./postgres-runner.js').Queryable, sql: string, params: unknown[], col: string) =>
    ((await q.query(sql, params)).rows[0] as Row | undefined)?.[col] as string | undefined;
  return {
    put: (accountId, lid, pn, at) =>
      r.write(
        'record a LID mapping',
        async (q) => {
          await q.query(
            `INSERT INTO lid_map (account_id, lid, pn, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (account_id, lid) DO UPDATE SET pn = excluded.pn, updated_at = excluded.updated_at`,
            [accountId, lid, pn, at],
          );
        },
        { accountId },
      ),
    pnForLid: (accountId, lid) =>
      r.read('read a LID mapping', (q) => one(q, 'SELECT pn FROM lid_map WHERE account_id = $1 AND lid = $2', [accountId, lid], 'pn')),
    lidForPn: (accountId, pn) =>
      r.read('read a LID mapping', (q) =>
        one(
          q,
          'SELECT lid FROM lid_map WHERE account_id = $1 AND pn = $2 ORDER BY updated_at DESC, lid COLLATE "C" LIMIT 1',
          [accountId, pn],
          'lid',
        ),
      ),
  };
}
