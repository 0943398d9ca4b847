/** SQLite: Baileys creds (with the copy saved before them) and Signal keys, per account. */
import type { CredsStore, KeyStore, KeyWrite } from './port.js';
import type { Row, SqlRunner } from './sqlite-runner.js';

export function creds(r: SqlRunner): CredsStore {
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

export function keys(r: SqlRunner): KeyStore {
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
    list: (accountId, type) =>
      r.read('list keys', () => {
        const rows = r.stmt('SELECT id, value FROM wa_keys WHERE account_id = ? AND type = ? ORDER BY id').all(accountId, type) as Row[];
        return new Map(rows.map((x) => [x.id as string, x.value as string]));
      }),
  };
}
