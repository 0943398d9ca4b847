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
}

export interface WriteOptions {
  durable?: boolean;
  applied?: boolean;
}

export type Row = Record<string, unknown>;

/** Delete all but the newest `keep` rows of `table` for the account (by `seq`). */
export function trimSql(table: string): string {
  return `DELETE FROM ${table} WHERE account_id = ? AND seq <= (
      SELECT seq FROM ${table} WHERE account_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`;
}

export { keepCount, num } from './sql-values.js';
