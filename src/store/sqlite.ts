/**
 * The SQLite store (SPEC §12): one file, `<state>/wagate.db`, through better-sqlite3.
 *
 * - The file is created 0600 before SQLite opens it (an existing one open to others is
 *   tightened: it holds the WhatsApp session); SQLite gives its `-wal` and `-shm` files
 *   the database file's mode. A directory it creates is 0700.
 * - WAL, `synchronous=NORMAL`: a committed transaction is in the WAL before `commit`
 *   returns, so it survives the process being killed (SIGKILL, OOM); after a power cut
 *   the database is consistent but may miss the last commits. Writes that must survive
 *   a power cut too — creds saves and logout — pass `durable` and commit with
 *   `synchronous=FULL` (the WAL is fsynced up to and including them; SQLite cannot
 *   change that inside a transaction, so a durable write inside a plain
 *   `transaction(fn)` is followed by a checkpoint instead). Signal keys, the
 *   ledger and sessions change on every message and are not fsynced one by one
 *   (the file layout's key files were not either).
 * - One connection, statements prepared once and cached. The driver is synchronous, so
 *   a plain call runs to completion at once; `transaction(fn)` holds the connection
 *   (BEGIN IMMEDIATE … COMMIT) while `fn` awaits, and other calls wait for it.
 * - A busy timeout (default 5 s) for another process holding the write lock.
 * - Driver failures become WAGATE_ERR_STORE with what was being done and what to do.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { WagateError } from '../errors.js';
import { migrate, MIGRATIONS, SCHEMA_VERSION, VERSION_TABLE_SQL, type Migration, type MigrationTarget } from './migrations.js';
import type { SchemaInfo, Store, StoreCheck, StoreTables } from './port.js';
import { prepareFiles, STORE_FILE_MODE, storeError } from './sqlite-file.js';
import { sqliteTables, type SqlRunner } from './sqlite-tables.js';

export { STORE_FILE_MODE, storeError } from './sqlite-file.js';
export { STORE_FILE, storeFile } from '../state-layout.js';

/** The tables `counts()` reports, in schema order. */
export const TABLES = [
  'wa_creds',
  'wa_keys',
  'handled_messages',
  'sent_messages',
  'lid_map',
  'pairing_requests',
  'approved_senders',
  'group_activations',
  'connections',
  'session_turns',
  'inbound_ledger',
  'web_versions',
  'leases',
  'cluster_nodes',
] as const;

export interface OpenSqliteStoreOptions {
  /** The database file, usually `storeFile(stateDir)`. */
  file: string;
  /** How long a write waits for another process's lock before failing (ms). Default 5000. */
  busyTimeoutMs?: number;
  now?: () => number;
  /** Tests only: another migration list. */
  migrations?: readonly Migration[];
}

/** The real setImmediate, taken at load: a test faking timers must not hold the store's commits. */
const runAfterTurn: (fn: () => void) => void = globalThis.setImmediate.bind(globalThis);

interface BatchItem {
  what: string;
  work: () => unknown;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

interface WriteBatch {
  items: BatchItem[];
  durable: boolean;
}

interface TxContext {
  live: boolean;
  durable: boolean;
}

export class SqliteStore implements Store, StoreTables {
  readonly kind = 'sqlite';
  /** Writes go into the turn's batch in call order (see enqueueWrite). */
  readonly writesInOrder = true;
  readonly creds;
  readonly keys;
  readonly handled;
  readonly ledger;
  readonly sent;
  readonly lids;
  readonly pairing;
  readonly activations;
  readonly connections;
  readonly sessions;
  readonly webVersions;

  private readonly statements = new Map<string, Database.Statement>();
  private readonly txScope = new AsyncLocalStorage<TxContext>();
  /** Set while a `transaction(fn)` holds the connection; resolves when it ends. */
  private busy: Promise<void> | undefined;
  private closed = false;
  /** Writes asked for in this turn of the event loop, committed together (see enqueueWrite). */
  private batch: WriteBatch | undefined;
  private batchCommits = 0;

  private constructor(
    private readonly db: Database.Database,
    readonly location: string,
    private readonly now: () => number,
  ) {
    const tables = sqliteTables(this.runner());
    this.creds = tables.creds;
    this.keys = tables.keys;
    this.handled = tables.handled;
    this.ledger = tables.ledger;
    this.sent = tables.sent;
    this.lids = tables.lids;
    this.pairing = tables.pairing;
    this.activations = tables.activations;
    this.connections = tables.connections;
    this.sessions = tables.sessions;
    this.webVersions = tables.webVersions;
  }

  /** Open (creating and migrating as needed) the store at `opts.file`. */
  static async open(opts: OpenSqliteStoreOptions): Promise<SqliteStore> {
    const file = path.resolve(opts.file);
    let db: Database.Database | undefined;
    try {
      prepareFiles(file);
      db = new Database(file, { timeout: opts.busyTimeoutMs ?? 5000 });
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (String(mode).toLowerCase() !== 'wal') {
        throw new WagateError(
          'WAGATE_ERR_STORE',
          `The store ${file} cannot use write-ahead logging (journal_mode is ${String(mode)}); put the state directory on a local file system.`,
        );
      }
      db.pragma('synchronous = NORMAL');
      const store = new SqliteStore(db, file, opts.now ?? Date.now);
      await migrate(store.migrationTarget(), opts.migrations ?? MIGRATIONS, store.now);
      return store;
    } catch (err) {
      db?.close();
      throw storeError(file, 'open the store', err);
    }
  }

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private checkOpen(): void {
    if (this.closed) throw new WagateError('WAGATE_ERR_STORE', `The store ${this.location} is closed.`);
  }

  /** Throws when called from inside `transaction(fn)` through the outer store (it would wait forever). */
  private checkNotInTx(): void {
    if (this.txScope.getStore()?.live) {
      throw new WagateError(
        'WAGATE_ERR_INTERNAL',
        'A store call inside transaction(fn) went to the store itself; use the handle fn was given.',
      );
    }
  }

  /**
   * Runs `work` now when nothing holds the connection, else after it is released.
   * The wait is a loop re-checked in the same microtask that runs `work`: another
   * waiter woken by the same release may have taken the connection first.
   */
  private async gated<T>(what: string, work: () => T): Promise<T> {
    this.checkNotInTx();
    while (this.busy) await this.busy;
    this.checkOpen();
    this.commitBatch(); // a read sees every write asked for before it
    try {
      return work();
    } catch (err) {
      throw storeError(this.location, what, err);
    }
  }

  private setSynchronous(full: boolean): void {
    this.stmt(full ? 'PRAGMA synchronous = FULL' : 'PRAGMA synchronous = NORMAL').run();
  }

  private runner(): SqlRunner {
    return {
      stmt: (sql) => this.stmt(sql),
      now: () => this.now(),
      // A read sees every write asked for before it: the pending batch commits first.
      read: (what, work) => this.gated(what, work),
      write: (what, work, opts) => this.enqueueWrite(what, work, opts?.durable === true),
    };
  }

  /**
   * Group commit: plain writes asked for during one turn of the event loop are run in
   * ONE transaction (`BEGIN IMMEDIATE … COMMIT`) once that turn is over (`setImmediate`,
   * taken before any test could fake it); each caller's promise settles when that
   * transaction committed, so "committed" means what it meant before. The batch is
   * durable (`synchronous=FULL`) when one of its writes is. A read, a `transaction(fn)`
   * or `close()` commits the pending batch first, so every caller sees the writes asked
   * for before it. When the batch fails, it is rolled back and each write is run again
   * alone, so one bad write fails only its own caller.
   */
  private enqueueWrite<T>(what: string, work: () => T, durable: boolean): Promise<T> {
    try {
      this.checkNotInTx();
      this.checkOpen();
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<T>((resolve, reject) => {
      if (!this.batch) {
        this.batch = { items: [], durable: false };
        runAfterTurn(() => void this.commitBatchWhenFree());
      }
      this.batch.items.push({ what, work, resolve: resolve as (v: unknown) => void, reject });
      if (durable) this.batch.durable = true;
    });
  }

  private async commitBatchWhenFree(): Promise<void> {
    while (this.busy) await this.busy; // see gated()
    this.commitBatch();
  }

  /** How many grouped write transactions committed (tests and benchmarks read it). */
  get writeCommits(): number {
    return this.batchCommits;
  }

  /** Commits the pending batch now (synchronously); see enqueueWrite. */
  private commitBatch(): void {
    const batch = this.batch;
    if (!batch) return;
    this.batch = undefined;
    const { items } = batch;

    if (this.closed) {
      const err = new WagateError('WAGATE_ERR_STORE', `The store ${this.location} is closed.`);
      for (const item of items) item.reject(err);
      return;
    }
    if (batch.durable) this.setSynchronous(true);
    try {
      let results: unknown[];
      try {
        results = this.db.transaction(() => items.map((item) => item.work())).immediate();
      } catch (err) {
        if (items.length === 1) {
          items[0]!.reject(storeError(this.location, items[0]!.what, err));
          return;
        }
        for (const item of items) {
          try {
            item.resolve(this.db.transaction(item.work).immediate());
          } catch (e) {
            item.reject(storeError(this.location, item.what, e));
          }
        }
        return;
      }
      this.batchCommits += 1;
      items.forEach((item, i) => item.resolve(results[i]));
    } finally {
      if (batch.durable) this.setSynchronous(false);
    }
  }

  private txRunner(ctx: TxContext): SqlRunner {
    const direct = async <T>(what: string, work: () => T): Promise<T> => {
      if (!ctx.live) throw new WagateError('WAGATE_ERR_INTERNAL', 'A transaction handle was used after its transaction ended.');
      try {
        return work();
      } catch (err) {
        throw storeError(this.location, what, err);
      }
    };
    return {
      stmt: (sql) => this.stmt(sql),
      now: () => this.now(),
      read: direct,
      // A savepoint: a failed call leaves nothing behind even if fn catches its error.
      write: (what, work, opts) =>
        direct(what, () => {
          if (opts?.durable) ctx.durable = true;
          return this.db.transaction(work)();
        }),
    };
  }

  async transaction<T>(fn: (tx: StoreTables) => Promise<T>, opts?: { durable?: boolean }): Promise<T> {
    this.checkNotInTx();
    while (this.busy) await this.busy; // see gated()
    this.checkOpen();
    this.commitBatch();
    let release!: () => void;
    this.busy = new Promise<void>((resolve) => (release = resolve));
    const ctx: TxContext = { live: true, durable: false };
    // The safety level cannot change inside a transaction: a durable one is FULL from BEGIN.
    const full = opts?.durable === true;
    try {
      try {
        if (full) this.setSynchronous(true);
        this.stmt('BEGIN IMMEDIATE').run();
      } catch (err) {
        throw storeError(this.location, 'begin a transaction', err);
      }
      let result: T;
      try {
        result = await this.txScope.run(ctx, () => fn(sqliteTables(this.txRunner(ctx))));
      } catch (err) {
        ctx.live = false;
        this.rollbackQuietly();
        throw err;
      }
      ctx.live = false;
      try {
        this.stmt('COMMIT').run();
      } catch (err) {
        this.rollbackQuietly();
        throw storeError(this.location, 'commit a transaction', err);
      }
      // A durable write in a transaction not opened durable: a checkpoint fsyncs the WAL
      // (and then the database) before it returns.
      if (ctx.durable && !full) {
        try {
          this.stmt('PRAGMA wal_checkpoint(PASSIVE)').run();
        } catch (err) {
          throw storeError(this.location, 'flush a committed transaction to disk', err);
        }
      }
      return result;
    } finally {
      if (full) this.setSynchronous(false);
      this.busy = undefined;
      release();
    }
  }

  /** Roll back what is open; a failing rollback must not hide the error that caused it. */
  private rollbackQuietly(): void {
    try {
      if (this.db.inTransaction) this.stmt('ROLLBACK').run();
    } catch {
      // Nothing more to do here: the connection is then unusable, and the next call says so.
    }
  }

  private migrationTarget(): MigrationTarget {
    return {
      dialect: 'sqlite',
      location: this.location,
      currentVersion: async () => {
        this.db.exec(VERSION_TABLE_SQL);
        return Number(this.db.prepare('SELECT COALESCE(MAX(version), 0) FROM wagate_schema').pluck().get());
      },
      apply: async (version, name, sql, appliedAt) => {
        this.db.transaction(() => {
          this.db.exec(sql);
          this.db.prepare('INSERT INTO wagate_schema (version, name, applied_at) VALUES (?, ?, ?)').run(version, name, appliedAt);
        }).immediate();
      },
    };
  }

  schema(): Promise<SchemaInfo> {
    return this.gated('read the schema version', () => ({
      version: Number(this.stmt('SELECT COALESCE(MAX(version), 0) FROM wagate_schema').pluck().get()),
      known: SCHEMA_VERSION,
    }));
  }

  counts(): Promise<Record<string, number>> {
    return this.gated('count rows', () =>
      Object.fromEntries(TABLES.map((t) => [t, Number(this.stmt(`SELECT COUNT(*) FROM ${t}`).pluck().get())])),
    );
  }

  check(): Promise<StoreCheck> {
    return this.gated('check the store', () => {
      const problems = (this.db.pragma('integrity_check', { simple: false }) as Array<{ integrity_check: string }>)
        .map((r) => r.integrity_check)
        .filter((r) => r !== 'ok');
      const mode = fs.statSync(this.location).mode & 0o777;
      if (mode !== STORE_FILE_MODE) problems.push(`file mode is ${mode.toString(8)}, expected 600`);
      return { ok: problems.length === 0, problems };
    });
  }

  async close(): Promise<void> {
    this.checkNotInTx();
    while (this.busy) await this.busy;
    if (this.closed) return;
    this.commitBatch();
    this.closed = true;
    this.statements.clear();
    try {
      this.db.close();
    } catch (err) {
      throw storeError(this.location, 'close the store', err);
    }
  }
}

/** Open the SQLite store; see `SqliteStore`. */
export function openSqliteStore(opts: OpenSqliteStoreOptions): Promise<SqliteStore> {
  return SqliteStore.open(opts);
}
