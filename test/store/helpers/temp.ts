/** Temp SQLite stores for the store tests: one directory per test, removed afterwards. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { LedgerArrival, Store } from '../../../src/store/port.js';
import { openSqliteStore, storeFile, type OpenSqliteStoreOptions, type SqliteStore } from '../../../src/store/sqlite.js';
import type { StoreHandle } from '../contract.js';

export async function tempDir(prefix = 'wagate-store-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A fresh SQLite store at `<tmp>/state/wagate.db`. */
export async function tempSqliteStore(opts: Partial<OpenSqliteStoreOptions> = {}): Promise<StoreHandle & { file: string }> {
  const tmp = await tempDir();
  const file = storeFile(path.join(tmp.dir, 'state'));
  let store: Store = await openSqliteStore({ ...opts, file });
  return {
    file,
    get store() {
      return store;
    },
    async reopen() {
      await store.close();
      store = await openSqliteStore({ ...opts, file });
      return store;
    },
    async cleanup() {
      await store.close();
      await tmp.cleanup();
    },
  };
}

/** A ledger arrival in chat `c@s.whatsapp.net` of account `a` (the store tests' fixture). */
export const arrival = (id: string): LedgerArrival => ({
  accountId: 'a',
  chatJid: 'c@s.whatsapp.net',
  messageId: id,
  sender: 'c@s.whatsapp.net',
  waTimestamp: 1,
  upsertType: 'notify',
  message: '{}',
  receivedAt: 1,
});

/**
 * A fresh SQLite store and a read-only connection to its file (what another process
 * sees: only committed rows); both closed by the cleanups pushed on `cleanups`.
 */
export async function sqliteWithReader(cleanups: Array<() => Promise<void>>): Promise<{ store: SqliteStore; other: Database.Database }> {
  const h = await tempSqliteStore();
  cleanups.push(h.cleanup);
  const other = new Database(h.file, { readonly: true });
  cleanups.unshift(async () => void other.close());
  return { store: h.store as SqliteStore, other };
}
