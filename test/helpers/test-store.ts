/**
 * A store for tests that build `ActorDeps` synchronously: a SQLite store at `file`,
 * opened on its first call (a harness that never touches it never opens a database)
 * and closed after the test.
 */
import { afterEach } from 'vitest';
import type { Store } from '../../src/store/port.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.js';

const open: Promise<SqliteStore>[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await (await p.catch(() => null))?.close();
});

const WHOLE = new Set(['transaction', 'committed', 'schema', 'check', 'counts', 'close']);

export function lazyStore(file: string): Store {
  let opened: Promise<SqliteStore> | undefined;
  const get = (): Promise<SqliteStore> => {
    if (!opened) {
      opened = openSqliteStore({ file });
      open.push(opened);
    }
    return opened;
  };
  const call = (target: (s: SqliteStore) => Record<string, unknown>, method: string) =>
    (...args: unknown[]) => get().then((s) => (target(s)[method] as (...a: unknown[]) => unknown).apply(target(s), args));
  const tables = new Map<string, object>();
  return new Proxy({} as Store, {
    get(_, prop) {
      if (typeof prop !== 'string' || prop === 'then') return undefined;
      if (prop === 'kind') return 'sqlite';
      if (prop === 'location') return file;
      if (WHOLE.has(prop)) return call((s) => s as unknown as Record<string, unknown>, prop);
      let t = tables.get(prop);
      if (!t) {
        t = new Proxy({}, { get: (__, m) => (typeof m === 'string' ? call((s) => (s as unknown as Record<string, Record<string, unknown>>)[prop]!, m) : undefined) });
        tables.set(prop, t);
      }
      return t;
    },
  });
}
