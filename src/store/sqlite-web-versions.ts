/** SQLite: the WhatsApp Web version cache (one row per version URL). */
import type { WebVersionStore } from './port.js';
import type { Row, SqlRunner } from './sqlite-runner.js';

export function webVersions(r: SqlRunner): WebVersionStore {
  return {
    get: (url) =>
      r.read('read the WhatsApp Web version cache', () => {
        const row = r.stmt('SELECT url, version, fetched_at FROM web_versions WHERE url = ?').get(url) as Row | undefined;
        return row ? { url: row.url as string, version: row.version as string, fetchedAt: Number(row.fetched_at) } : undefined;
      }),
    put: ({ url, version, fetchedAt }) =>
      r.write('write the WhatsApp Web version cache', () => {
        r.stmt(
          `INSERT INTO web_versions (url, version, fetched_at) VALUES (?, ?, ?)
           ON CONFLICT (url) DO UPDATE SET version = excluded.version, fetched_at = excluded.fetched_at`,
        ).run(url, version, fetchedAt);
      }),
  };
}
