/** Temp SQLite stores for the store tests: one directory per test, removed afterwards. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Store } from '../../../src/store/port.js';
import { openSqliteStore, storeFile, type OpenSqliteStoreOptions } from '../../../src/store/sqlite.js';
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
