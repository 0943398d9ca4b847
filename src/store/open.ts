/**
 * Which store a process opens (`store` in the config, `WAGATE_STORE_URL`), and opening
 * it: the one place that picks SQLite or PostgreSQL.
 *
 * - No `store.kind` and no URL: SQLite, `<state>/wagate.db`.
 * - A URL (`store.url`, or `WAGATE_STORE_URL`, which wins so the password need not be
 *   in the config file) and no kind, or `kind: "postgres"`: PostgreSQL at that URL.
 * - `kind: "postgres"` without a URL, `kind: "sqlite"` with one, or a URL that is not
 *   `postgres://` / `postgresql://`: WAGATE_ERR_CONFIG, the URL never shown.
 */
import { WagateError } from '../errors.js';
import { storeFile } from '../state-layout.js';
import type { Store } from './port.js';
import { openPostgresStore, redactUrl, type OpenPostgresStoreOptions } from './postgres.js';
import { openSqliteStore } from './sqlite.js';

export const STORE_URL_ENV = 'WAGATE_STORE_URL';
export const STORE_KINDS = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** The config's `store` section. */
export interface StoreSettings {
  kind?: StoreKind;
  url?: string;
}

export type StoreTarget = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

export function isPostgresUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && u.host !== '';
  } catch {
    return false;
  }
}

/** Where this process's store is (see the module comment). */
export function storeTarget(settings: StoreSettings | undefined, stateDir: string, env: Record<string, string | undefined> = process.env): StoreTarget {
  const fromEnv = env[STORE_URL_ENV] ? env[STORE_URL_ENV] : undefined;
  const url = fromEnv ?? settings?.url;
  const source = fromEnv !== undefined ? `$${STORE_URL_ENV}` : 'store.url';
  const kind = settings?.kind ?? (url !== undefined ? 'postgres' : 'sqlite');
  if (kind === 'sqlite') {
    if (url !== undefined) {
      throw new WagateError(
        'WAGATE_ERR_CONFIG',
        `store.kind is "sqlite" but ${source} is set: set store.kind to "postgres" to use that database, or remove the URL.`,
      );
    }
    return { kind: 'sqlite', file: storeFile(stateDir) };
  }
  if (url === undefined) {
    throw new WagateError(
      'WAGATE_ERR_CONFIG',
      `store.kind is "postgres" but no URL is given: set ${STORE_URL_ENV} (or store.url) to postgres://user:password@host:5432/database.`,
    );
  }
  if (!isPostgresUrl(url)) {
    throw new WagateError(
      'WAGATE_ERR_CONFIG',
      `${source} is not a PostgreSQL URL (value not shown: it may hold a password); expected postgres://user:password@host:5432/database.`,
    );
  }
  return { kind: 'postgres', url };
}

/** Where a target is, for people: the file, or the URL without its password. */
export function targetLocation(t: StoreTarget): string {
  return t.kind === 'sqlite' ? t.file : redactUrl(t.url);
}

/** Open (creating and migrating as needed) the store at `t`; `fence` and `idleInTransactionTimeoutMs` are PostgreSQL's (several nodes). */
export function openStore(t: StoreTarget, opts: Pick<OpenPostgresStoreOptions, 'fence' | 'idleInTransactionTimeoutMs'> = {}): Promise<Store> {
  return t.kind === 'sqlite' ? openSqliteStore({ file: t.file }) : openPostgresStore({ url: t.url, ...opts });
}
