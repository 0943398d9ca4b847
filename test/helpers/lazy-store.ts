/**
 * A store for synchronous test harnesses: `<stateDir>/wagate.db`, opened on the
 * first call (so a harness that never touches it never opens it), closed by `close()`.
 */
import type { Store, StoreTables } from '../../src/store/port.js';
import { openSqliteStore, storeFile } from '../../src/store/sqlite.js';

export interface LazyStore {
  store: Store;
  close(): Promise<void>;
}

const TABLES: readonly (keyof StoreTables)[] = ['creds', 'keys', 'handled', 'sent', 'lids', 'pairing', 'activations', 'connections', 'sessions'];

export function lazyStore(stateDir: string): LazyStore {
  let opening: Promise<Store> | null = null;
  const open = () => (opening ??= openSqliteStore({ file: storeFile(stateDir) }));
  const table = (name: keyof StoreTables) =>
    new Proxy(
      {},
      {
        get: (_t, method: string) =>
          async (...args: unknown[]) => {
            const s = (await open())[name] as unknown as Record<string, (...a: unknown[]) => unknown>;
            return s[method]!(...args);
          },
      },
    );
  const store = {
    kind: 'sqlite',
    location: storeFile(stateDir),
    transaction: async (fn: never, opts?: never) => (await open()).transaction(fn, opts),
    schema: async () => (await open()).schema(),
    check: async () => (await open()).check(),
    counts: async () => (await open()).counts(),
    close: async () => (opening ? (await opening).close() : undefined),
  } as unknown as Record<string, unknown>;
  for (const t of TABLES) store[t] = table(t);
  return { store: store as unknown as Store, close: () => (store.close as () => Promise<void>)() };
}
