/**
 * A `transaction(fn)` handle of the PostgreSQL store: the runner its sub-stores use
 * while one connection is between BEGIN and COMMIT. Calls on the handle run one after
 * the other; each write starts at a savepoint (a failed one is rolled back alone, the
 * rest can commit, as in SQLite); a read is not (a round trip saved), so a read the
 * server refuses marks the transaction failed and postgres.ts rolls it back instead of
 * committing it. A handle used after its transaction ended is refused.
 */
import type pg from 'pg';
import { WagateError } from '../errors.js';
import type { PgRunner, PgWriteOptions, Queryable } from './postgres-runner.js';

export interface TxContext {
  live: boolean;
  /** A durable write ran: commit with synchronous_commit on. */
  durable: boolean;
  /** A statement failed outside a savepoint: PostgreSQL aborted the transaction. */
  failed: unknown;
  /** The calls on this handle, one after the other. */
  chain: Promise<void>;
  /** The savepoint `wagate_call` is open (set before the last write). */
  savepoint: boolean;
}

/** What the handle needs from its store. */
export interface TxStore {
  now(): number;
  /** A driver failure as WAGATE_ERR_STORE (see postgres-errors.ts). */
  error(what: string, err: unknown): unknown;
  /** The account check run before every account write (the fence). */
  guard(q: Queryable, opts: PgWriteOptions | undefined): Promise<void>;
}

/** True for a failure of the driver or server (not a caller's RangeError or our own error). */
export function isDriverFailure(err: unknown): boolean {
  return !(err instanceof RangeError) && !(err instanceof WagateError);
}

export function txRunner(client: pg.PoolClient, ctx: TxContext, store: TxStore): PgRunner {
  const run = <T>(what: string, work: () => Promise<T>, savepoint: boolean): Promise<T> => {
    if (!ctx.live) return Promise.reject(new WagateError('WAGATE_ERR_INTERNAL', 'A transaction handle was used after its transaction ended.'));
    const p = ctx.chain.then(async () => {
      if (ctx.failed) throw store.error(what, ctx.failed);
      // One round trip: the savepoint of the write before is released (it is part of
      // the transaction now) and a new one marks where this write starts. COMMIT
      // releases the last one.
      if (savepoint) {
        try {
          await client.query(ctx.savepoint ? 'RELEASE SAVEPOINT wagate_call; SAVEPOINT wagate_call' : 'SAVEPOINT wagate_call');
        } catch (err) {
          ctx.failed ??= err; // the connection is gone or the transaction aborted
          throw store.error(what, err);
        }
        ctx.savepoint = true;
      }
      try {
        return await work();
      } catch (err) {
        if (savepoint) {
          try {
            await client.query('ROLLBACK TO SAVEPOINT wagate_call');
          } catch (inner) {
            ctx.failed ??= inner;
          }
        } else if (isDriverFailure(err)) {
          ctx.failed ??= err;
        }
        throw store.error(what, err);
      }
    });
    ctx.chain = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  };
  return {
    now: store.now,
    // A read is not a savepoint (a round trip saved); a failed one marks the
    // transaction failed, and it is then rolled back, not committed.
    read: (what, work) => run(what, () => work(client), false),
    write: (what, work, opts) =>
      run(
        what,
        async () => {
          if (opts?.durable) ctx.durable = true;
          await store.guard(client, opts);
          return work(client);
        },
        true,
      ),
  };
}
