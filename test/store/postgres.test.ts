/**
 * The PostgreSQL store: the shared contract against a throwaway server (each test its
 * own database), plus what only PostgreSQL has — two nodes migrating at once, the
 * advisory lock, rollback, and the password kept out of `location` and errors.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { WagateError } from '../../src/errors.js';
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from '../../src/store/migrations.js';
import { openPostgresStore, redactUrl, type OpenPostgresStoreOptions, type PostgresStore } from '../../src/store/postgres.js';
import { freePort } from '../helpers/net.js';
import { postgresForFile, type PgServer } from '../helpers/postgres.js';
import { until } from '../helpers/until.js';
import { storeContract } from './contract.js';

let server: PgServer;
postgresForFile((s) => (server = s));

storeContract('postgres', async () => {
  const url = await server.createDatabase();
  let store: PostgresStore = await openPostgresStore({ url });
  return {
    get store() {
      return store;
    },
    async reopen() {
      await store.close();
      store = await openPostgresStore({ url });
      return store;
    },
    async cleanup() {
      await store.close();
    },
  };
});

describe('the PostgreSQL store', () => {
  const open: PostgresStore[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close().catch(() => undefined);
  });
  const openStore = async (opts: Omit<OpenPostgresStoreOptions, 'url'> & { url: string }) => {
    const s = await openPostgresStore(opts);
    open.push(s);
    return s;
  };
  /** One query on a database as the superuser. */
  const query = async (url: string, sql: string, params?: unknown[]) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query(sql, params)).rows as Array<Record<string, unknown>>;
    } finally {
      await c.end();
    }
  };

  it('two nodes starting together on an empty database migrate once and both open', async () => {
    const url = await server.createDatabase();
    const stores = await Promise.all([openStore({ url }), openStore({ url }), openStore({ url })]);
    for (const s of stores) expect(await s.schema()).toEqual({ version: SCHEMA_VERSION, known: SCHEMA_VERSION });
    const rows = await query(url, 'SELECT version FROM wagate_schema ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    await stores[0]!.creds.save('a', '{"v":1}');
    expect(await stores[2]!.creds.load('a')).toMatchObject({ current: '{"v":1}' });
  });

  it('migrates under an advisory lock: a node waits while another holds it', async () => {
    const url = await server.createDatabase();
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1, $2)', [0x77616761, 0x73636865]);
      let opened = false;
      const opening = openStore({ url }).then((s) => {
        opened = true;
        return s;
      });
      // The opening node is seen waiting on the advisory lock by the server itself.
      await until(
        async () =>
          (await query(url, "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")).length > 0,
        'the second node to wait on the migration lock',
      );
      expect(opened).toBe(false);
      expect(await query(url, "SELECT 1 FROM pg_tables WHERE tablename = 'wa_creds'")).toEqual([]);
      await holder.query('SELECT pg_advisory_unlock($1, $2)', [0x77616761, 0x73636865]);
      const s = await opening;
      expect(await s.schema()).toEqual({ version: SCHEMA_VERSION, known: SCHEMA_VERSION });
    } finally {
      await holder.end();
    }
  });

  it('a database from a newer wagate is refused, untouched', async () => {
    const url = await server.createDatabase();
    await (await openPostgresStore({ url })).close();
    await query(url, "INSERT INTO wagate_schema (version, name, applied_at) VALUES (99, 'future', 1)");
    await expect(openPostgresStore({ url })).rejects.toMatchObject({ code: 'WAGATE_ERR_STORE_VERSION' });
    expect((await query(url, 'SELECT MAX(version) AS v FROM wagate_schema'))[0]!.v).toBe(99);
  });

  it('a migration step that fails leaves the schema at the step before it', async () => {
    const url = await server.createDatabase();
    const broken: Migration = {
      version: SCHEMA_VERSION + 1,
      name: 'broken',
      sql: { sqlite: 'unused', postgres: 'CREATE TABLE note (id TEXT); CREATE TABLE oops (' },
    };
    await expect(openPostgresStore({ url, migrations: [...MIGRATIONS, broken] })).rejects.toMatchObject({ code: 'WAGATE_ERR_STORE' });
    expect((await query(url, 'SELECT MAX(version) AS v FROM wagate_schema'))[0]!.v).toBe(SCHEMA_VERSION);
    expect(await query(url, "SELECT 1 FROM pg_tables WHERE tablename = 'note'")).toEqual([]);
  });

  it('a statement that fails inside transaction(fn), even if fn catches it, commits nothing', async () => {
    const s = await openStore({ url: await server.createDatabase() });
    // PostgreSQL text cannot hold NUL: the server refuses the read (22021).
    await expect(
      s.transaction(async (tx) => {
        await tx.creds.save('a', '{"v":1}');
        await tx.handled.has('a', 'bad\u0000key').catch(() => undefined);
      }),
    ).rejects.toMatchObject({ code: 'WAGATE_ERR_STORE' });
    expect(await s.creds.load('a')).toBeUndefined();
    // A failed write is a savepoint: rolled back alone, and the rest commits.
    await s.transaction(async (tx) => {
      await tx.creds.save('a', '{"v":2}');
      await expect(tx.handled.add('a', 'bad\u0000key', 1)).rejects.toMatchObject({ code: 'WAGATE_ERR_STORE', message: /22021/ });
      await tx.handled.add('a', 'after', 1);
      await expect(tx.keys.set('a', [{ type: 'session', id: 'x', value: 'bad\u0000' }])).rejects.toMatchObject({ code: 'WAGATE_ERR_STORE' });
    });
    expect(await s.creds.load('a')).toMatchObject({ current: '{"v":2}' });
    expect(await s.handled.has('a', 'after')).toBe(true);
    expect(await s.keys.count('a')).toEqual({});
    // and the store goes on after both
    expect(await s.handled.add('a', 'good', 1)).toBe(true);
  });

  it('commits durable writes with synchronous_commit on, the others off, and checks every account write in one place', async () => {
    const seen: Array<{ accountId: string; sync: string }> = [];
    const s = await openStore({
      url: await server.createDatabase(),
      fence: async (q, accountId) => {
        seen.push({ accountId, sync: String((await q.query('SHOW synchronous_commit')).rows[0].synchronous_commit) });
        if (accountId === 'fenced') throw new WagateError('WAGATE_ERR_STORE', 'account fenced off');
      },
    });
    await s.creds.save('a', '{"v":1}');
    await s.keys.set('a', [{ type: 'session', id: '1', value: 'k' }]);
    await s.creds.save('a', '{"v":2}', { durable: false });
    await s.transaction(async (tx) => tx.handled.add('a', 'k1', 1), { durable: true });
    expect(seen).toEqual([
      { accountId: 'a', sync: 'on' },
      { accountId: 'a', sync: 'off' },
      { accountId: 'a', sync: 'off' },
      { accountId: 'a', sync: 'on' },
    ]);
    // A refused write writes nothing, alone or inside a transaction.
    await expect(s.keys.set('fenced', [{ type: 'session', id: '1', value: 'k' }])).rejects.toThrow(/fenced off/);
    await expect(
      s.transaction(async (tx) => {
        await tx.creds.save('b', '{"b":1}');
        await tx.creds.save('fenced', '{"f":1}');
      }),
    ).rejects.toThrow(/fenced off/);
    expect(await s.keys.count('fenced')).toEqual({});
    expect(await s.creds.accounts()).toEqual(['a']);
  });

  it('goes on after the server drops its connections', async () => {
    const url = await server.createDatabase();
    const s = await openStore({ url });
    await s.creds.save('a', '{"v":1}');
    const db = new URL(url).pathname.slice(1);
    await server.admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db]);
    // The pool drops the dead connections (a call that got one fails with WAGATE_ERR_STORE); then it works again.
    const first = await s.creds.load('a').catch((e: unknown) => e);
    if (first instanceof Error) expect(first).toMatchObject({ code: 'WAGATE_ERR_STORE' });
    expect(await until(() => s.creds.load('a').catch(() => undefined), 'the store to reconnect')).toMatchObject({ current: '{"v":1}' });
  });

  describe('the password', () => {
    it('is not in location', async () => {
      const url = await server.createDatabase();
      const s = await openStore({ url });
      expect(s.location).toBe(url.replace(/:[^:@/]*@/, '@'));
      expect(s.location).not.toContain(encodeURIComponent(server.password));
      expect(redactUrl('postgres://u:p%40ss@h:5/db?sslmode=require&password=x')).toBe('postgres://u@h:5/db?sslmode=require');
    });

    it('is in no error: a wrong password, a server that is not there, a missing database', async () => {
      const good = new URL(server.url());
      const secret = 'S3cret-pw:@/x';
      const wrong = new URL(good);
      wrong.password = encodeURIComponent(secret);
      const noServer = new URL(wrong);
      noServer.port = String(await freePort());
      const noDb = new URL(good);
      noDb.pathname = '/no_such_db';
      const cases: Array<[URL, RegExp, string]> = [
        [wrong, /28P01.*refused the user or password/, secret],
        [noServer, /ECONNREFUSED.*cannot be reached/, secret],
        [noDb, /3D000.*does not exist/, server.password],
      ];
      for (const [url, message, pw] of cases) {
        const err = await openPostgresStore({ url: url.toString(), connectTimeoutMs: 5000 }).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'WAGATE_ERR_STORE', message });
        const text = `${(err as Error).message} ${JSON.stringify(err)} ${String((err as Error).cause ?? '')}`;
        expect(text).not.toContain(pw);
        expect(text).not.toContain(encodeURIComponent(pw));
      }
    });
  });

  it('works in the schema named by the URL (options=-c search_path=…), leaving public empty', async () => {
    const url = await server.createDatabase();
    await query(url, 'CREATE SCHEMA wagate');
    const s = await openStore({ url: `${url}?options=${encodeURIComponent('-c search_path=wagate')}` });
    await s.creds.save('a', '{"v":1}');
    expect(await s.check()).toEqual({ ok: true, problems: [] });
    expect(await query(url, "SELECT COUNT(*)::int AS n FROM pg_tables WHERE schemaname = 'wagate' AND tablename = 'wa_creds'")).toEqual([{ n: 1 }]);
    expect(await query(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).toEqual([]);
  });

  it('counts, checks and closes', async () => {
    const s = await openStore({ url: await server.createDatabase() });
    await s.handled.addMany('a', ['1', '2'], 1);
    expect(await s.counts()).toMatchObject({ handled_messages: 2, wa_creds: 0 });
    expect(await s.check()).toEqual({ ok: true, problems: [] });
    await s.close();
    await expect(s.check()).rejects.toMatchObject({ code: 'WAGATE_ERR_STORE' });
  });
});
