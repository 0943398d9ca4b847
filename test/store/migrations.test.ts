/**
 * Schema migrations (SPEC §12): a fresh store gets every step, a re-opened one none,
 * a later build applies only its new steps (each in one transaction with its version
 * row), and a store from a newer build is refused without being touched.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { checkMigrationList, migrate, MIGRATIONS, SCHEMA_VERSION, type Migration } from '../../src/store/migrations.js';
import { openSqliteStore, storeFile, TABLES } from '../../src/store/sqlite.js';
import { tempDir } from './helpers/temp.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
async function dbFile(): Promise<string> {
  const t = await tempDir();
  cleanups.push(t.cleanup);
  return storeFile(t.dir);
}

function versions(file: string): Array<{ version: number; name: string }> {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT version, name FROM wagate_schema ORDER BY version').all() as Array<{ version: number; name: string }>;
  } finally {
    db.close();
  }
}

function tablesOf(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
  } finally {
    db.close();
  }
}

/** A step after this build's last one (whatever number that is). */
const step2: Migration = {
  version: SCHEMA_VERSION + 1,
  name: 'a note table',
  sql: {
    sqlite: 'CREATE TABLE note (id TEXT PRIMARY KEY, body TEXT NOT NULL); CREATE INDEX note_body ON note (body);',
    postgres: 'CREATE TABLE note (id TEXT PRIMARY KEY, body TEXT NOT NULL); CREATE INDEX note_body ON note (body);',
  },
};

describe('migrations', () => {
  it('the list is numbered 1, 2, 3 … and SCHEMA_VERSION is its last', () => {
    expect(() => checkMigrationList(MIGRATIONS)).not.toThrow();
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
    expect(() => checkMigrationList([MIGRATIONS[0]!, { ...step2, version: 3 }])).toThrow(/version 3, expected 2/);
  });

  it('a fresh store gets every step and a version row per step; the tables counts() names all exist', async () => {
    const file = await dbFile();
    const store = await openSqliteStore({ file, now: () => 1234 });
    expect(await store.schema()).toEqual({ version: SCHEMA_VERSION, known: SCHEMA_VERSION });
    await store.close();
    expect(versions(file)).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    expect(tablesOf(file)).toEqual(expect.arrayContaining([...TABLES, 'wagate_schema']));
  });

  it('re-opening applies nothing again and keeps the data', async () => {
    const file = await dbFile();
    const a = await openSqliteStore({ file });
    await a.handled.add('acc', 'k', 1);
    await a.close();
    const b = await openSqliteStore({ file });
    expect(await b.handled.has('acc', 'k')).toBe(true);
    await b.close();
    expect(versions(file)).toHaveLength(MIGRATIONS.length);
  });

  it('a later build applies only its new step', async () => {
    const file = await dbFile();
    await (await openSqliteStore({ file })).close();
    const applied: string[] = [];
    const target = {
      dialect: 'sqlite' as const,
      location: file,
      currentVersion: async () => SCHEMA_VERSION,
      apply: async (_v: number, name: string) => void applied.push(name),
    };
    expect(await migrate(target, [...MIGRATIONS, step2])).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION + 1 });
    expect(applied).toEqual(['a note table']);

    const store = await openSqliteStore({ file, migrations: [...MIGRATIONS, step2] });
    expect(await store.schema()).toMatchObject({ version: SCHEMA_VERSION + 1 });
    await store.close();
    expect(tablesOf(file)).toContain('note');
    expect(versions(file).map((v) => v.version)).toEqual([...MIGRATIONS.map((m) => m.version), SCHEMA_VERSION + 1]);
  });

  it('a step that fails is rolled back whole: no half of its DDL, no version row, the error says so', async () => {
    const file = await dbFile();
    await (await openSqliteStore({ file })).close();
    const broken: Migration = { ...step2, sql: { sqlite: 'CREATE TABLE note (id TEXT); CREATE TABLE oops (', postgres: 'CREATE TABLE note (id TEXT); CREATE TABLE oops (' } };
    await expect(openSqliteStore({ file, migrations: [...MIGRATIONS, broken] })).rejects.toMatchObject({
      code: 'WAGATE_ERR_STORE',
    });
    expect(tablesOf(file)).not.toContain('note');
    expect(versions(file).map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
    const store = await openSqliteStore({ file });
    expect(await store.schema()).toMatchObject({ version: SCHEMA_VERSION });
    await store.close();
  });

  it('a store from a newer wagate is refused with WAGATE_ERR_STORE_VERSION and left untouched', async () => {
    const file = await dbFile();
    await (await openSqliteStore({ file })).close();
    const db = new Database(file);
    db.prepare('INSERT INTO wagate_schema (version, name, applied_at) VALUES (?, ?, ?)').run(SCHEMA_VERSION + 5, 'future', 1);
    db.close();
    const before = fs.readFileSync(file);
    const err = await openSqliteStore({ file }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'WAGATE_ERR_STORE_VERSION' });
    expect((err as Error).message).toContain(`schema version ${SCHEMA_VERSION + 5}`);
    expect((err as Error).message).toContain(`only up to ${SCHEMA_VERSION}`);
    expect((err as Error).message).toMatch(/Upgrade wagate/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(versions(file).map((v) => v.version)).toEqual([...MIGRATIONS.map((m) => m.version), SCHEMA_VERSION + 5]);
  });
});

describe('migration 5: the inbound ledger without its request id index', () => {
  it('a store at version 4 loses the index, keeps its entries, and still finds an entry by request id', async () => {
    const file = await dbFile();
    const old = await openSqliteStore({ file, migrations: MIGRATIONS.slice(0, 4) });
    const key = { accountId: 'a', chatJid: 'c@s.whatsapp.net', messageId: 'm1' };
    await old.ledger.record([{ ...key, sender: 'c@s.whatsapp.net', waTimestamp: 1, upsertType: 'notify', message: '{}', receivedAt: 1 }]);
    await old.ledger.update(key, { state: 'running', requestId: 'in-1', at: 2 });
    await old.close();
    const indexes = () => {
      const db = new Database(file, { readonly: true });
      try {
        return db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'inbound_ledger'").pluck().all() as string[];
      } finally {
        db.close();
      }
    };
    expect(indexes()).toContain('inbound_ledger_request');
    const store = await openSqliteStore({ file });
    try {
      expect(await store.schema()).toEqual({ version: SCHEMA_VERSION, known: SCHEMA_VERSION });
      expect(versions(file).map((v) => v.version)).toContain(5);
      expect(indexes()).not.toContain('inbound_ledger_request');
      expect(await store.ledger.byRequest('a', 'in-1')).toMatchObject({ ...key, state: 'running', requestId: 'in-1' });
      expect(await store.ledger.apply([{ op: 'update-by-request', accountId: 'a', requestId: 'in-1', fields: { state: 'replied', at: 3 } }])).toEqual([
        { changed: true, key },
      ]);
      expect((await store.ledger.get(key))?.state).toBe('replied');
    } finally {
      await store.close();
    }
  });
});
