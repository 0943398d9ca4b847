/** PostgreSQL: Baileys creds (with the copy saved before them) and Signal keys, per account. */
import type { CredsStore, KeyStore, KeyWrite } from './port.js';
import type { PgRunner, Row } from './postgres-runner.js';

export function creds(r: PgRunner): CredsStore {
  return {
    load: (accountId) =>
      r.read('load creds', async (q) => {
        const row = (await q.query('SELECT creds, previous, updated_at FROM wa_creds WHERE account_id = $1', [accountId])).rows[0] as
          | Row
          | undefined;
        if (!row) return undefined;
        return { current: row.creds as string, previous: (row.previous as string | null) ?? null, updatedAt: Number(row.updated_at) };
      }),
    save: (accountId, json, opts) =>
      r.write(
        'save creds',
        async (q) => {
          await q.query(
            `INSERT INTO wa_creds (account_id, creds, previous, updated_at) VALUES ($1, $2, NULL, $3)
             ON CONFLICT (account_id) DO UPDATE SET previous = wa_creds.creds, creds = excluded.creds, updated_at = excluded.updated_at`,
            [accountId, json, r.now()],
          );
        },
        { durable: opts?.durable ?? true, accountId },
      ),
    remove: (accountId) =>
      r.write(
        'remove creds',
        async (q) => {
          await q.query('DELETE FROM wa_keys WHERE account_id = $1', [accountId]);
          await q.query('DELETE FROM wa_creds WHERE account_id = $1', [accountId]);
        },
        { durable: true, accountId },
      ),
    accounts: () =>
      r.read('list accounts', async (q) =>
        (await q.query('SELECT account_id FROM wa_creds ORDER BY account_id COLLATE "C"')).rows.map((x: Row) => x.account_id as string),
      ),
  };
}

/**
 * A batch as its net effect, in two set-based statements: the last write of each
 * (type, id) wins, as if the writes were applied one by one.
 */
function netEffect(writes: readonly KeyWrite[]): { del: KeyWrite[]; put: KeyWrite[] } {
  const last = new Map<string, KeyWrite>();
  for (const w of writes) {
    const k = `${w.type}\u0000${w.id}`;
    last.delete(k); // keep the batch's order of last writes
    last.set(k, w);
  }
  const all = [...last.values()];
  return { del: all.filter((w) => w.value === null), put: all.filter((w) => w.value !== null) };
}

export function keys(r: PgRunner): KeyStore {
  return {
    get: (accountId, type, ids) =>
      r.read('read keys', async (q) => {
        const out = new Map<string, string>();
        if (ids.length === 0) return out;
        const res = await q.query('SELECT id, value FROM wa_keys WHERE account_id = $1 AND type = $2 AND id = ANY($3::text[])', [
          accountId,
          type,
          [...ids],
        ]);
        for (const row of res.rows as Row[]) out.set(row.id as string, row.value as string);
        return out;
      }),
    set: (accountId, writes: readonly KeyWrite[]) =>
      r.write(
        'write keys',
        async (q) => {
          const { del, put } = netEffect(writes);
          if (del.length > 0) {
            await q.query(
              `DELETE FROM wa_keys WHERE account_id = $1 AND (type, id) IN (SELECT t, i FROM unnest($2::text[], $3::text[]) AS w(t, i))`,
              [accountId, del.map((w) => w.type), del.map((w) => w.id)],
            );
          }
          if (put.length > 0) {
            await q.query(
              `INSERT INTO wa_keys (account_id, type, id, value)
               SELECT $1, t, i, v FROM unnest($2::text[], $3::text[], $4::text[]) AS w(t, i, v)
               ON CONFLICT (account_id, type, id) DO UPDATE SET value = excluded.value`,
              [accountId, put.map((w) => w.type), put.map((w) => w.id), put.map((w) => w.value)],
            );
          }
        },
        { accountId },
      ),
    clear: (accountId) =>
      r.write(
        'clear keys',
        async (q) => {
          await q.query('DELETE FROM wa_keys WHERE account_id = $1', [accountId]);
        },
        { accountId },
      ),
    count: (accountId) =>
      r.read('count keys', async (q) => {
        const res = await q.query(
          'SELECT type, COUNT(*) AS n FROM wa_keys WHERE account_id = $1 GROUP BY type ORDER BY type COLLATE "C"',
          [accountId],
        );
        return Object.fromEntries((res.rows as Row[]).map((x) => [x.type as string, Number(x.n)]));
      }),
    list: (accountId, type) =>
      r.read('list keys', async (q) => {
        const res = await q.query('SELECT id, value FROM wa_keys WHERE account_id = $1 AND type = $2 ORDER BY id COLLATE "C"', [accountId, type]);
        return new Map((res.rows as Row[]).map((x) => [x.id as string, x.value as string]));
      }),
  };
}
