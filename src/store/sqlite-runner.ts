/**
 * What the SQLite sub-stores run on: cached statements and a way to run synchronous
 * driver work as a read or an atomic write (sqlite.ts provides one for plain calls and
 * one per `transaction(fn)`), plus small helpers they share.
 */
import type BetterSqlite3 from 'better-sqlite3';

export interface SqlRunner {
  /** A cached prepared statement. */
  stmt(sql: string): BetterSqlite3.Statement;
  /** Run reads; `what` names the operation in errors. */
  read<T>(what: string, work: () => T): Promise<T>;
  /**
   * Run writes atomically; the promise settles once they are committed. `durable`
   * commits with synchronous=FULL (survives a power cut); `applied` settles as soon as
   * they ran, the commit following at the end of the turn (see `Store.committed`).
   */
  write<T>(what: string, work: () => T, opts?: WriteOptions): Promise<T>;
  /** The store's clock (ms since the epoch), for the rows it stamps itself. */
  now(): number;
  /** A driver failure as WAGATE_ERR_STORE naming what was being done. */
  error(what: string, err: unknown): unknown;
  /** Run `work` in a savepoint: all of its statements or none (a write's own atomicity). */
  atomic<T>(work: () => T): T;
  /**
   * Plain calls only (undefined on a `transaction(fn)` handle, which commits when fn
   * ends): `hook` runs right before each group commit, inside the transaction, and may
   * run statements there (the inbound ledger writes its coalesced moves so). It may
   * answer with a `failure` (a write that was settled before it ran failed: `committed()`
   * callers are rejected with it) and `after`, called once the commit is done (with its
   * failure, if it failed).
   */
  beforeCommit: ((hook: CommitHook) => void) | undefined;
  /**
   * Plain calls only (undefined on a `transaction(fn)` handle): run a write now, in the
   * turn's transaction, and answer its result directly — as `write` with `applied` and
   * `single` would settle, without a promise (issue 12 item 5). Answers `NOT_NOW` when it
   * cannot run at once (`transaction(fn)` holds the connection, or writes wait for it):
   * the caller then uses `write`, which keeps call order. Throws WAGATE_ERR_STORE when
   * the write failed (only this write is undone), or the store is closed.
   */
  writeNow: (<T>(what: string, work: () => T) => T | typeof NOT_NOW) | undefined;
}

/** `SqlRunner.writeNow`'s answer when the write cannot run at once. */
export const NOT_NOW: unique symbol = Symbol('not now');

/** See `SqlRunner.beforeCommit`; it must not throw. */
export type CommitHook = () => { failure?: unknown; after?: (commitFailure: unknown) => void } | undefined;

export interface WriteOptions {
  durable?: boolean;
  applied?: boolean;
  /**
   * `work` makes its own writes atomic (one statement, or none, or `atomic` inside): no
   * savepoint around it (a savepoint costs two statements per write).
   */
  single?: boolean;
}

export type Row = Record<string, unknown>;

/** Delete all but the newest `keep` rows of `table` for the account (by `seq`). */
export function trimSql(table: string): string {
  return `DELETE FROM ${table} WHERE account_id = ? AND seq <= (
      SELECT seq FROM ${table} WHERE account_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`;
}

export { keepCount, num } from './sql-values.js';
