/** PostgreSQL: the WhatsApp Web version cache (one row per version URL); mirrors sqlite-web-versions.ts. */
import type { WebVersionStore } from './port.js';
import type { PgRunner, Row } from './postgres-runner.js';

export function webVersions(r: PgRunner): WebVersionStore {
  return {
    get: (url) =>
      r.read('read the WhatsApp Web version cache', async (q) => {
        const row = (await q.query('SELECT url, version, fetched_at FROM web_versions WHERE url = $1', [url])).rows[0] as Row | undefined;
        return row ? { url: row.url as string, version: row.version as string, fetchedAt: Number(row.fetched_at) } : undefined;
      }),
    put: ({ url, version, fetchedAt }) =>
      r.write('write the WhatsApp Web version cache', async (q) => {
        await q.query(
          `INSERT INTO web_versions (url, version, fetched_at) VALUES ($1, $2, $3)
           ON CONFLICT (url) DO UPDATE SET version = excluded.version, fetched_at = excluded.fetched_at`,
          [url, version, fetchedAt],
        );
      }),
  };
}
