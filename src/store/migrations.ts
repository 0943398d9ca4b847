/**
 * The store's schema history: an ordered list of SQL steps, each applied once, in its
 * own transaction together with its row in the version table (`wagate_schema`). A
 * database whose highest version is newer than this build knows is refused (an older
 * wagate must not write into a schema it does not understand).
 *
 * Each step holds its SQL per dialect. Only `sqlite` exists today; adding `postgres`
 * to `Dialect` makes the compiler ask for the PostgreSQL text of every step. Keep the
 * SQL plain: integer ms timestamps, TEXT, `ON CONFLICT … DO UPDATE` upserts, and a
 * `seq` column wherever insertion order matters (never SQLite's implicit rowid).
 */
import { WagateError } from '../errors.js';

export type Dialect = 'sqlite';

export interface Migration {
  /** 1, 2, 3 … with no gaps. */
  version: number;
  name: string;
  sql: Record<Dialect, string>;
}

/** The version table; the same text works in SQLite and PostgreSQL. */
export const VERSION_TABLE_SQL =
  'CREATE TABLE IF NOT EXISTS wagate_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'creds, keys, ledger, sent messages, LID map, pairing, activations, connections, sessions',
    sql: {
      sqlite: `
        CREATE TABLE wa_creds (
          account_id TEXT PRIMARY KEY,
          creds TEXT NOT NULL,
          previous TEXT,
          updated_at BIGINT NOT NULL
        );
        CREATE TABLE wa_keys (
          account_id TEXT NOT NULL,
          type TEXT NOT NULL,
          id TEXT NOT NULL,
          value TEXT NOT NULL,
          PRIMARY KEY (account_id, type, id)
        );
        CREATE TABLE handled_messages (
          seq INTEGER PRIMARY KEY,
          account_id TEXT NOT NULL,
          key TEXT NOT NULL,
          at BIGINT NOT NULL,
          UNIQUE (account_id, key)
        );
        CREATE INDEX handled_messages_account_seq ON handled_messages (account_id, seq);
        CREATE TABLE sent_messages (
          seq INTEGER PRIMARY KEY,
          account_id TEXT NOT NULL,
          id TEXT NOT NULL,
          chat_jid TEXT NOT NULL,
          message TEXT NOT NULL,
          at BIGINT NOT NULL,
          UNIQUE (account_id, id)
        );
        CREATE INDEX sent_messages_account_seq ON sent_messages (account_id, seq);
        CREATE TABLE lid_map (
          account_id TEXT NOT NULL,
          lid TEXT NOT NULL,
          pn TEXT NOT NULL,
          updated_at BIGINT NOT NULL,
          PRIMARY KEY (account_id, lid)
        );
        CREATE INDEX lid_map_pn ON lid_map (account_id, pn);
        CREATE TABLE pairing_requests (
          code TEXT PRIMARY KEY,
          sender TEXT NOT NULL,
          account_id TEXT NOT NULL,
          name TEXT,
          created_at BIGINT NOT NULL,
          expires_at BIGINT NOT NULL
        );
        CREATE TABLE approved_senders (
          seq INTEGER PRIMARY KEY,
          sender TEXT NOT NULL UNIQUE,
          approved_at BIGINT NOT NULL
        );
        CREATE TABLE group_activations (
          account_id TEXT NOT NULL,
          group_jid TEXT NOT NULL,
          mode TEXT NOT NULL CHECK (mode IN ('mention', 'always')),
          updated_at BIGINT NOT NULL,
          PRIMARY KEY (account_id, group_jid)
        );
        CREATE TABLE connections (
          account_id TEXT PRIMARY KEY,
          linked_at BIGINT,
          last_connected_at BIGINT
        );
        CREATE TABLE session_turns (
          seq INTEGER PRIMARY KEY,
          session_key TEXT NOT NULL,
          role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
          text TEXT NOT NULL,
          at BIGINT NOT NULL,
          meta TEXT
        );
        CREATE INDEX session_turns_key_seq ON session_turns (session_key, seq);
      `,
    },
  },
  {
    version: 2,
    name: 'WhatsApp Web version cache',
    sql: {
      sqlite: `
        CREATE TABLE web_versions (
          url TEXT PRIMARY KEY,
          version TEXT NOT NULL,
          fetched_at BIGINT NOT NULL
        );
      `,
    },
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length === 0 ? 0 : MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** What the migration runner needs from a database; each implementation provides it. */
export interface MigrationTarget {
  readonly dialect: Dialect;
  /** For error messages: the file or URL (no password). */
  readonly location: string;
  /** Create the version table if needed; the highest applied version, 0 when none. */
  currentVersion(): Promise<number>;
  /** In one transaction: run `sql` and record `version` in the version table. */
  apply(version: number, name: string, sql: string, appliedAt: number): Promise<void>;
}

export interface MigrationResult {
  from: number;
  to: number;
}

/** Checks that `migrations` are numbered 1, 2, 3 … (a test runs it on MIGRATIONS). */
export function checkMigrationList(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration #${i} has version ${m.version}, expected ${i + 1}`);
  });
}

export function newerSchemaError(location: string, found: number, known: number): WagateError {
  return new WagateError(
    'WAGATE_ERR_STORE_VERSION',
    `The store ${location} has schema version ${found}, but this wagate knows only up to ${known}: ` +
      'a newer wagate wrote it. Upgrade wagate, or use another state directory; nothing was changed.',
  );
}

/** Bring the database up to the newest schema, one transaction per step. */
export async function migrate(
  target: MigrationTarget,
  migrations: readonly Migration[] = MIGRATIONS,
  now: () => number = Date.now,
): Promise<MigrationResult> {
  checkMigrationList(migrations);
  const known = migrations.length;
  const from = await target.currentVersion();
  if (from > known) throw newerSchemaError(target.location, from, known);
  for (const m of migrations.slice(from)) {
    await target.apply(m.version, m.name, m.sql[target.dialect], now());
  }
  return { from, to: known };
}
