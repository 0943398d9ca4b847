/**
 * What the PostgreSQL sub-stores run on (the twin of sqlite-runner.ts): a way to run
 * async work on one connection as a read or as an atomic write. postgres.ts provides
 * one for plain calls (each write its own transaction) and one per `transaction(fn)`
 * (each write a savepoint in it).
 *
 * Every write that belongs to one account names it (`accountId`): the store checks
 * it in one place (`PostgresStoreOptions.fence`) inside the same transaction, before
 * the write — where the lease fencing token of several nodes will be checked.
 */
import type pg from 'pg';

/** A connection (or a transaction on one) to run statements on. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

export interface PgWriteOptions {
  /** Commit with `synchronous_commit = on`: the write survives a power cut of the server. */
  durable?: boolean;
  /** The account whose state this writes (checked by the store's fence). */
  accountId?: string;
}

export interface PgRunner {
  /** Run reads; `what` names the operation in errors. */
  read<T>(what: string, work: (q: Queryable) => Promise<T>): Promise<T>;
  /** Run writes atomically. */
  write<T>(what: string, work: (q: Queryable) => Promise<T>, opts?: PgWriteOptions): Promise<T>;
  /** The store's clock (ms since the epoch), for the rows it stamps itself. */
  now(): number;
}

export type Row = Record<string, unknown>;

/** Delete all but the newest `$2` rows of `table` for the account `$1` (by `seq`). */
export function trimSql(table: string): string {
  return `DELETE FROM ${table} WHERE account_id = $1 AND seq <= (
      SELECT seq FROM ${table} WHERE account_id = $1 ORDER BY seq DESC LIMIT 1 OFFSET $2)`;
}

/** Rows affected by a statement (0 when the driver does not say). */
export function changed(res: { rowCount: number | null }): number {
  return res.rowCount ?? 0;
}

export { keepCount, num } from './sql-values.js';
