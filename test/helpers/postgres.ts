/**
 * A throwaway PostgreSQL server for a test file (see postgres-server.ts): start it once
 * in `beforeAll` (`startPostgres()` takes a few seconds), give each test its own
 * database (`createDatabase()`), stop it in `afterAll`; its directory is removed after
 * the file.
 */
import { startPostgresIn, type PgServer } from './postgres-server.js';
import { tmpDir } from './tmp.js';

export type { PgServer } from './postgres-server.js';

export function startPostgres(): Promise<PgServer> {
  return startPostgresIn(tmpDir('pg', { scope: 'file' }));
}
