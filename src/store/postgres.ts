/**
 * The PostgreSQL store (issue 16 item 1): the same port, schema and contract as the
 * SQLite store, on any PostgreSQL ≥ 14 through `pg`, for several gateway nodes sharing
 * one database (leases come later; see postgres-runner.ts for where they will check).
 *
 * - A pool of connections (`poolSize`, default 10). Plain calls run concurrently,
 *   each on a pooled connection; each write is its own transaction.
 * - `transaction(fn)` holds one connection between BEGIN and COMMIT (ROLLBACK when fn
 *   throws). Every call through its handle is a savepoint, so a failed call leaves
 *   nothing behind and the rest still commits, as in SQLite; calls on one handle run
 *   one after the other.
 * - Isolation: READ COMMITTED, PostgreSQL's default, and no retry loop. Within a
 *   process `transaction(fn)` runs one at a time and plain calls made meanwhile wait
 *   for it (the port's rule, as in SQLite). Every write is one statement, or a few
 *   applied as one atomic unit, that is safe under READ COMMITTED by itself:
 *   `ON CONFLICT` upserts and inserts, deletes by key, and trims by `seq` — no
 *   read-then-write in application code (connection history is one upsert, not a read
 *   and a write). SERIALIZABLE would add serialization failures that only re-running
 *   `fn` can answer, and `fn` has side effects the store cannot re-run. Across
 *   processes an account is written by the one node that owns it (the lease issue);
 *   channel-wide rows (pairing, approved senders) are single-statement upserts.
 * - Durability: every transaction says `SET LOCAL synchronous_commit`: `off` for
 *   plain writes (committed and visible at once, survives the gateway being killed;
 *   a crash of the database server may lose the last fraction of a second), `on`
 *   for durable ones (creds saves, logout, `transaction(fn, { durable: true })`), and
 *   a durable write inside a plain transaction turns it `on` before COMMIT.
 * - Migrations: the same steps and version table as SQLite, run under a
 *   session-level advisory lock, so two nodes starting together apply each step once.
 * - `location` is the URL without its password; driver failures are
 *   WAGATE_ERR_STORE with the server's message, every secret of the URL scrubbed.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { WagateError } from '../errors.js';
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations.js';
import { migrateUnderLock } from './postgres-migrate.js';
import { isDriverFailure, txRunner, type TxContext } from './postgres-tx.js';
import type { SchemaInfo, Store, StoreCheck, StoreTables } from './port.js';
import { pgStoreError, redactUrl, urlSecrets } from './postgres-errors.js';
import type { PgRunner, PgWriteOptions, Queryable } from './postgres-runner.js';
import { postgresTables } from './postgres-tables.js';
import { leases, type LeaseTable } from './postgres-leases.js';
import { TABLES } from './sqlite.js';

export { redactUrl } from './postgres-errors.js';

const BEGIN_FAST = 'BEGIN; SET LOCAL synchronous_commit = off';
const BEGIN_DURABLE = 'BEGIN; SET LOCAL synchronous_commit = on';

export interface OpenPostgresStoreOptions {
  /** `postgres://user:password@host:port/database?…` (libpq-style parameters as `pg` reads them). */
  url: string;
  /** Connections in the pool. Default 10. */
  poolSize?: number;
  /** How long to wait for a connection (ms). Default 10000. */
  connectTimeoutMs?: number;
  now?: () => number;
  /** Tests only: another migration list. */
  migrations?: readonly Migration[];
  /**
   * Run inside the transaction of every write that names its account, before the write
   * (the lease fencing of several nodes goes here); throwing refuses the write.
   */
  fence?: (q: Queryable, accountId: string) => Promise<void>;
  /**
   * The server ends a session left idle inside a transaction this long (ms;
   * `idle_in_transaction_session_timeout`), releasing its row locks: several nodes set it
   * so that a node frozen mid-write (SIGSTOP, GC) cannot hold a lease row locked forever.
   * Default: none.
   */
  idleInTransactionTimeoutMs?: number;
}

export class PostgresStore implements Store, StoreTables {
  readonly kind = 'postgres';
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
  /** The cluster's lease table (src/cluster/lease-keeper.ts); its writes are not fenced. */
  readonly leases: LeaseTable;

  private readonly txScope = new AsyncLocalStorage<TxContext>();
  /** Set while a `transaction(fn)` runs; resolves when it ends. */
  private busy: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
    private readonly secrets: readonly string[],
    private readonly now: () => number,
    private readonly fence: OpenPostgresStoreOptions['fence'],
  ) {
    const tables = postgresTables(this.runner());
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
    this.leases = leases(this.runner());
  }

  /** Connect, and create or migrate the schema as needed. */
  static async open(opts: OpenPostgresStoreOptions): Promise<PostgresStore> {
    const location = redactUrl(opts.url);
    const secrets = urlSecrets(opts.url);
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 10,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
      application_name: 'wagate',
      ...(opts.idleInTransactionTimeoutMs ? { idle_in_transaction_session_timeout: opts.idleInTransactionTimeoutMs } : {}),
    });
    // An idle connection that breaks (server restart) is dropped by the pool; the next
    // call opens a new one or fails with WAGATE_ERR_STORE. Without a listener it would
    // crash the process.
    pool.on('error', () => undefined);
    const store = new PostgresStore(pool, location, secrets, opts.now ?? Date.now, opts.fence);
    try {
      await store.migrateLocked(opts.migrations ?? MIGRATIONS);
      return store;
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw store.error('open the store', err);
    }
  }

  private error(what: string, err: unknown): unknown {
    return pgStoreError(this.location, this.secrets, what, err);
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

  /** Waits while a `transaction(fn)` runs (re-checked: another waiter may start one first). */
  private async waitTurn(): Promise<void> {
    this.checkNotInTx();
    while (this.busy) await this.busy;
    this.checkOpen();
  }

  /** Run `work` on a pooled connection; a connection that failed is not given back. */
  private async onConnection<T>(what: string, work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.error(what, err);
    }
    let broken: Error | undefined;
    const detach = watchCheckedOut(client, (err) => (broken ??= err));
    try {
      return await work(client);
    } catch (err) {
      if (isDriverFailure(err)) broken = err instanceof Error ? err : new Error(String(err));
      throw this.error(what, err);
    } finally {
      detach();
      // A connection whose statement failed is closed rather than reused: it may be in
      // an unknown state (an aborted transaction a ROLLBACK could not end).
      client.release(broken);
    }
  }

  private async guard(q: Queryable, opts: PgWriteOptions | undefined): Promise<void> {
    if (this.fence && opts?.accountId !== undefined) await this.fence(q, opts.accountId);
  }

  /** COMMIT, refusing a transaction PostgreSQL had aborted (its COMMIT answers ROLLBACK). */
  private async commit(q: Queryable): Promise<void> {
    const res = await q.query('COMMIT');
    if (res.command !== 'COMMIT') {
      throw new WagateError('WAGATE_ERR_STORE', `The store ${this.location} rolled the transaction back instead of committing it.`);
    }
  }

  private runner(): PgRunner {
    return {
      now: () => this.now(),
      read: async (what, work) => {
        await this.waitTurn();
        return this.onConnection(what, work);
      },
      write: async (what, work, opts) => {
        await this.waitTurn();
        return this.onConnection(what, async (c) => {
          await c.query(opts?.durable ? BEGIN_DURABLE : BEGIN_FAST);
          try {
            await this.guard(c, opts);
            const result = await work(c);
            await this.commit(c);
            return result;
          } catch (err) {
            await c.query('ROLLBACK').catch(() => undefined);
            throw err;
          }
        });
      },
    };
  }

  /** A write here settles only once committed: nothing settled is left to commit. */
  committed(): Promise<void> {
    return Promise.resolve();
  }

  async transaction<T>(fn: (tx: StoreTables) => Promise<T>, opts?: { durable?: boolean }): Promise<T> {
    // Not waitTurn(): with nothing running, `busy` must be set before this call first
    // yields, so that a close() or a call made right after it waits for it.
    this.checkNotInTx();
    while (this.busy) await this.busy;
    this.checkOpen();
    let release!: () => void;
    this.busy = new Promise<void>((resolve) => (release = resolve));
    const ctx: TxContext = { live: true, durable: false, failed: undefined, chain: Promise.resolve(), savepoint: false };
    let client: pg.PoolClient | undefined;
    let broken: Error | undefined;
    let detach = () => undefined as void;
    try {
      try {
        client = await this.pool.connect();
        detach = watchCheckedOut(client, (err) => (broken ??= err));
        await client.query(opts?.durable ? BEGIN_DURABLE : BEGIN_FAST);
      } catch (err) {
        broken = new Error('begin failed');
        throw this.error('begin a transaction', err);
      }
      const c = client;
      let result: T;
      try {
        result = await this.txScope.run(ctx, () => fn(postgresTables(txRunner(c, ctx, { now: () => this.now(), error: (w, e) => this.error(w, e), guard: (q, o) => this.guard(q, o) }))));
      } catch (err) {
        ctx.live = false;
        await ctx.chain;
        await c.query('ROLLBACK').catch((e: unknown) => (broken = e instanceof Error ? e : new Error(String(e))));
        throw err;
      }
      ctx.live = false;
      await ctx.chain; // a call fn started but did not await
      try {
        if (ctx.failed) {
          throw new WagateError(
            'WAGATE_ERR_STORE',
            `A statement failed inside a transaction on the store ${this.location}, so nothing of it was committed.`,
            { cause: ctx.failed },
          );
        }
        if (ctx.durable && !opts?.durable) await c.query('SET LOCAL synchronous_commit = on');
        await this.commit(c);
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        broken = new Error('commit failed');
        throw this.error('commit a transaction', err);
      }
      return result;
    } finally {
      detach();
      client?.release(broken);
      this.busy = undefined;
      release();
    }
  }

  private async migrateLocked(migrations: readonly Migration[]): Promise<void> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      broken = await migrateUnderLock(client, this.location, migrations, this.now);
    } finally {
      client.release(broken);
    }
  }

  async schema(): Promise<SchemaInfo> {
    await this.waitTurn();
    return this.onConnection('read the schema version', async (c) => ({
      version: Number((await c.query('SELECT COALESCE(MAX(version), 0) AS v FROM wagate_schema')).rows[0].v),
      known: SCHEMA_VERSION,
    }));
  }

  async counts(): Promise<Record<string, number>> {
    await this.waitTurn();
    return this.onConnection('count rows', async (c) => {
      const out: Record<string, number> = {};
      for (const t of TABLES) out[t] = Number((await c.query(`SELECT COUNT(*) AS n FROM ${t}`)).rows[0].n);
      return out;
    });
  }

  /** The connection works, the schema is this build's, and every table is there. */
  async check(): Promise<StoreCheck> {
    await this.waitTurn();
    return this.onConnection('check the store', async (c) => {
      const problems: string[] = [];
      const version = Number((await c.query('SELECT COALESCE(MAX(version), 0) AS v FROM wagate_schema')).rows[0].v);
      if (version !== SCHEMA_VERSION) problems.push(`schema version is ${version}, this build expects ${SCHEMA_VERSION}`);
      const found = new Set(
        ((await c.query('SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()')).rows as Array<{
          table_name: string;
        }>).map((r) => r.table_name),
      );
      const missing = TABLES.filter((t) => !found.has(t));
      if (missing.length > 0) problems.push(`tables missing: ${missing.join(', ')}`);
      return { ok: problems.length === 0, problems };
    });
  }

  async close(): Promise<void> {
    this.checkNotInTx();
    while (this.busy) await this.busy;
    if (this.closed) return;
    this.closed = true;
    try {
      await this.pool.end();
    } catch (err) {
      throw this.error('close the store', err);
    }
  }
}

/**
 * While a connection is checked out the pool listens to none of its errors: a server
 * that ends the session meanwhile (a restart, `idle_in_transaction_session_timeout`
 * ending a transaction of a node that was paused) would crash the process with an
 * unhandled 'error'. The error is recorded instead (the connection is not reused) and
 * the statement in flight, if any, fails on its own.
 */
function watchCheckedOut(client: pg.PoolClient, onError: (err: Error) => void): () => void {
  const listener = (err: Error) => onError(err);
  client.on('error', listener);
  return () => void client.removeListener('error', listener);
}

/** Open the PostgreSQL store; see `PostgresStore`. */
export function openPostgresStore(opts: OpenPostgresStoreOptions): Promise<PostgresStore> {
  return PostgresStore.open(opts);
}
