/**
 * A throwaway PostgreSQL server for a test file (see postgres-server.ts): start it once
 * in `beforeAll` (`startPostgres()` takes a few seconds), give each test its own
 * database (`createDatabase()`), stop it in `afterAll`; its directory is removed after
 * the file.
 */
import { afterAll, beforeAll } from 'vitest';
import { startPostgresIn, type PgServer } from './postgres-server.js';
import { tmpDir } from './tmp.js';

export type { PgServer } from './postgres-server.js';

export function startPostgres(): Promise<PgServer> {
  return startPostgresIn(tmpDir('pg', { scope: 'file' }));
}

/** One server for the calling test file: started in `beforeAll` (handed to `use`), stopped in `afterAll`. */
export function postgresForFile(use: (server: PgServer) => void): void {
  let server: PgServer | undefined;
  beforeAll(async () => {
    server = await startPostgres();
    use(server);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });
}
