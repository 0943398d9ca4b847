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
 * - Group commit: one write transaction per event-loop turn (see enqueueWrite); WAL
 *   checkpoints on a worker thread once the store is busy (sqlite-checkpointer.ts).
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
import { NOT_NOW, type CommitHook } from './sqlite-runner.js';
import { Checkpointer } from './sqlite-checkpointer.js';

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
  /** When the checkpoint worker starts and how often it runs (sqlite-checkpointer.ts). */
  checkpoints?: { startAfterCommits?: number; everyCommits?: number };
}

/** The real setImmediate, taken at load: a test faking timers must not hold the store's commits. */
const runAfterTurn: (fn: () => void) => void = globalThis.setImmediate.bind(globalThis);

/** A write that waits for the connection (held by `transaction(fn)`). */
interface DeferredWrite {
  what: string;
  work: () => unknown;
  durable: boolean;
  applied: boolean;
  single: boolean;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

/** The turn's open write transaction (see enqueueWrite). */
interface OpenTx {
  /** Callers waiting for the commit. */
  waiters: Waiter[];
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
  /** Runs `work` in a savepoint (inside an open transaction): built once, not per write. */
  private readonly savepoint: (work: () => unknown) => unknown;
  private readonly txScope = new AsyncLocalStorage<TxContext>();
  /** Set while a `transaction(fn)` holds the connection; resolves when it ends. */
  private busy: Promise<void> | undefined;
  private closed = false;
  /** The turn's open write transaction (see enqueueWrite). */
  private open: OpenTx | undefined;
  /** Writes waiting for the connection, in call order. */
  private deferred: DeferredWrite[] = [];
  /** `committed()` callers waiting for the open transaction. */
  private readonly commitWaiters: Waiter[] = [];
  private batchCommits = 0;
  private failedCommits = 0;
  /** WAL checkpoints on a worker thread once the store is busy (sqlite-checkpointer.ts). */
  private readonly checkpointer: Checkpointer;
  /** Run before each group commit (SqlRunner.beforeCommit). */
  private readonly commitHooks: CommitHook[] = [];

  private constructor(
    private readonly db: Database.Database,
    readonly location: string,
    private readonly now: () => number,
    busyTimeoutMs: number,
    checkpoints: OpenSqliteStoreOptions['checkpoints'] = {},
  ) {
    this.savepoint = db.transaction((work: () => unknown) => work());
    this.checkpointer = new Checkpointer({
      ...checkpoints,
      file: location,
      busyTimeoutMs,
      setAutoCheckpoint: (pages) => {
        if (!this.closed) this.db.pragma(`wal_autocheckpoint = ${pages}`);
      },
    });
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
      const busyTimeoutMs = opts.busyTimeoutMs ?? 5000;
      db = new Database(file, { timeout: busyTimeoutMs });
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (String(mode).toLowerCase() !== 'wal') {
        throw new WagateError(
          'WAGATE_ERR_STORE',
          `The store ${file} cannot use write-ahead logging (journal_mode is ${String(mode)}); put the state directory on a local file system.`,
        );
      }
      db.pragma('synchronous = NORMAL');
      const store = new SqliteStore(db, file, opts.now ?? Date.now, busyTimeoutMs, opts.checkpoints);
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
    // A read sees every write asked for before it: those run in the open transaction
    // (this connection reads its own uncommitted writes); deferred ones run first.
    this.runDeferred();
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
      read: (what, work) => this.gated(what, work),
      write: (what, work, opts) => this.enqueueWrite(what, work, opts?.durable === true, opts?.applied === true, opts?.single === true),
      error: (what, err) => storeError(this.location, what, err),
      atomic: (work) => this.savepoint(work) as ReturnType<typeof work>,
      beforeCommit: (hook) => void this.commitHooks.push(hook),
      writeNow: (what, work) => this.writeNow(what, work),
    };
  }

  /**
   * A write run now in the turn's transaction, its result answered directly (SqlRunner.writeNow):
   * what `enqueueWrite` does with `applied` and `single` when nothing waits for the connection.
   */
  private writeNow<T>(what: string, work: () => T): T | typeof NOT_NOW {
    this.checkOpen();
    // (Only a `transaction(fn)` sets `busy`: a call from inside one through the outer
    // store goes the `write` way and is refused there.)
    if (this.busy || this.deferred.length > 0) return NOT_NOW;
    try {
      this.openTx(false);
      return work();
    } catch (err) {
      throw storeError(this.location, what, err);
    }
  }

  /**
   * Group commit, one write transaction per turn of the event loop. The first write of
   * a turn opens a transaction (`BEGIN IMMEDIATE`); each write runs at once inside it, in
   * a savepoint (a failing write undoes only itself and fails only its caller); the
   * transaction commits once the turn is over (`setImmediate`, taken before any test
   * could fake it). So a burst costs one commit per turn, and a write's result (a row
   * inserted or not) is known when it is asked for.
   *
   * A caller's promise settles when its write is committed, unless it asked for
   * `applied`: then it settles as soon as the write ran, and the commit follows at the
   * end of the turn (`committed()` waits for it). A write asked for after another is
   * committed with it or after it, never before: whoever waits for a later write's
   * commit knows every earlier one is durable too.
   *
   * A `durable` write commits with `synchronous=FULL`, which can only be set before
   * BEGIN: an open plain transaction is committed first. While `transaction(fn)` holds
   * the connection, writes wait (deferred) and run in call order once it is released.
   */
  private enqueueWrite<T>(what: string, work: () => T, durable: boolean, applied: boolean, single: boolean): Promise<T> {
    try {
      this.checkNotInTx();
      this.checkOpen();
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.busy || this.deferred.length > 0) {
      return new Promise<T>((resolve, reject) => {
        this.deferred.push({ what, work, durable, applied, single, resolve: resolve as (v: unknown) => void, reject });
        if (this.deferred.length === 1) runAfterTurn(() => void this.runDeferredWhenFree());
      });
    }
    return this.execute(what, work, durable, applied, single);
  }

  /** Runs a write in the turn's transaction (opening it if needed); see enqueueWrite. */
  private execute<T>(what: string, work: () => T, durable: boolean, applied: boolean, single: boolean): Promise<T> {
    let result: T;
    let tx: OpenTx;
    try {
      tx = this.openTx(durable);
      // a savepoint inside the open transaction, unless the work is atomic by itself
      result = single ? work() : (this.savepoint(work) as T);
    } catch (err) {
      return Promise.reject(storeError(this.location, what, err));
    }
    if (applied) return Promise.resolve(result);
    return new Promise<T>((resolve, reject) => tx.waiters.push({ resolve: () => resolve(result), reject }));
  }

  private openTx(durable: boolean): OpenTx {
    if (this.open && durable && !this.open.durable) this.commitOpen();
    if (this.open) return this.open;
    if (durable) this.setSynchronous(true);
    try {
      this.stmt('BEGIN IMMEDIATE').run();
    } catch (err) {
      if (durable) this.setSynchronous(false);
      throw err;
    }
    const tx: OpenTx = { waiters: [], durable };
    this.open = tx;
    runAfterTurn(() => {
      if (this.open === tx) this.commitOpen();
    });
    return tx;
  }

  /**
   * Commits the turn's open transaction now (synchronously), settling its waiters. The
   * commit hooks run first, inside it (the inbound ledger's coalesced moves), and hear
   * how the commit went.
   */
  private commitOpen(): void {
    const tx = this.open;
    if (!tx) return;
    const after: Array<(failure: unknown) => void> = [];
    let late: unknown;
    for (const hook of this.commitHooks) {
      const answer = hook();
      if (answer?.after) after.push(answer.after);
      late ??= answer?.failure;
    }
    this.open = undefined;
    let failure: unknown;
    try {
      this.stmt('COMMIT').run();
    } catch (err) {
      failure = storeError(this.location, 'commit the writes of this turn', err);
      this.rollbackQuietly();
    } finally {
      if (tx.durable) this.setSynchronous(false);
    }
    for (const then of after) then(failure);
    if (failure !== undefined) {
      this.failedCommits += 1;
      for (const w of tx.waiters) w.reject(failure);
      for (const w of this.commitWaiters.splice(0)) w.reject(failure);
      return;
    }
    this.batchCommits += 1;
    this.checkpointer.committed();
    for (const w of tx.waiters) w.resolve();
    // A write settled before it ran (a coalesced ledger move) failed: not everything asked is committed.
    for (const w of this.commitWaiters.splice(0)) {
      if (late !== undefined) w.reject(late);
      else w.resolve();
    }
  }

  /** Runs the writes that waited for the connection, in call order (no-op when there are none). */
  private runDeferred(): void {
    if (this.deferred.length === 0) return;
    const items = this.deferred;
    this.deferred = [];
    for (const item of items) this.execute(item.what, item.work, item.durable, item.applied, item.single).then(item.resolve, item.reject);
  }

  private async runDeferredWhenFree(): Promise<void> {
    while (this.busy) await this.busy; // see gated()
    if (this.closed) {
      const err = new WagateError('WAGATE_ERR_STORE', `The store ${this.location} is closed.`);
      for (const item of this.deferred.splice(0)) item.reject(err);
      return;
    }
    this.runDeferred();
  }

  /** Runs deferred writes and commits the open transaction now. */
  private commitBatch(): void {
    this.runDeferred();
    this.commitOpen();
  }

  /** Resolves when every write asked for so far is committed (rejects if that commit failed). */
  async committed(): Promise<void> {
    if (this.deferred.length > 0) {
      // they run once the connection is free; wait for their turn's commit too
      await new Promise<void>((resolve) => runAfterTurn(resolve));
      while (this.busy || this.deferred.length > 0) {
        if (this.busy) await this.busy;
        else await new Promise<void>((resolve) => runAfterTurn(resolve));
      }
    }
    if (!this.open) return;
    await new Promise<void>((resolve, reject) => this.commitWaiters.push({ resolve, reject }));
  }

  /** How many grouped write transactions committed (tests and benchmarks read it). */
  get writeCommits(): number {
    return this.batchCommits;
  }

  /** Whether WAL checkpoints run on the worker thread, and how many it did. */
  checkpointSummary(): { worker: 'idle' | 'running' | 'failed'; checkpoints: number } {
    return this.checkpointer.summary();
  }

  /** How many of those turn transactions failed to commit (their writes were undone). */
  get failedWriteCommits(): number {
    return this.failedCommits;
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
      error: (what, err) => storeError(this.location, what, err),
      atomic: (work) => this.savepoint(work) as ReturnType<typeof work>,
      beforeCommit: undefined,
      writeNow: undefined,
      read: direct,
      // A savepoint: a failed call leaves nothing behind even if fn catches its error.
      write: (what, work, opts) =>
        direct(what, () => {
          if (opts?.durable) ctx.durable = true;
          return opts?.single ? work() : (this.savepoint(work) as ReturnType<typeof work>);
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
        this.checkpointer.committed();
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
    } finally {
      await this.checkpointer.close(); // its connection closes last, and checkpoints what is left
    }
  }
}

/** Open the SQLite store; see `SqliteStore`. */
export function openSqliteStore(opts: OpenSqliteStoreOptions): Promise<SqliteStore> {
  return SqliteStore.open(opts);
}
