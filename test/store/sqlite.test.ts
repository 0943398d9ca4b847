/**
 * The SQLite store: the shared contract, plus what only SQLite has — the file, its
 * mode, WAL, a damaged file, and a call to the outer store from inside a transaction.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore, storeFile } from '../../src/store/sqlite.js';
import { storeContract } from './contract.js';
import { tempDir, tempSqliteStore } from './helpers/temp.js';

storeContract('sqlite', () => tempSqliteStore());

const modeOf = (p: string) => fs.statSync(p).mode & 0o777;

describe('the SQLite file', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  const temp = async () => {
    const t = await tempDir();
    cleanups.push(t.cleanup);
    return t.dir;
  };

  it('is <state>/wagate.db, 0600 with its -wal and -shm files even under umask 000, in a new 0700 directory', async () => {
    const state = path.join(await temp(), 'state');
    const old = process.umask(0);
    try {
      const store = await openSqliteStore({ file: storeFile(state) });
      await store.creds.save('a', '{"secret":true}');
      const file = path.join(state, 'wagate.db');
      expect(store.location).toBe(file);
      expect(modeOf(state)).toBe(0o700);
      expect(modeOf(file)).toBe(0o600);
      expect(modeOf(`${file}-wal`)).toBe(0o600);
      expect(modeOf(`${file}-shm`)).toBe(0o600);
      expect(await store.check()).toEqual({ ok: true, problems: [] });
      await store.close();
    } finally {
      process.umask(old);
    }
  });

  it('tightens an existing database file (and WAL files) that others could read', async () => {
    const dir = await temp();
    const file = storeFile(dir);
    (await openSqliteStore({ file })).close();
    fs.chmodSync(file, 0o644);
    fs.writeFileSync(`${file}-wal`, '');
    fs.chmodSync(`${file}-wal`, 0o666);
    const store = await openSqliteStore({ file });
    expect(modeOf(file)).toBe(0o600);
    expect(modeOf(`${file}-wal`)).toBe(0o600);
    fs.chmodSync(file, 0o640);
    expect(await store.check()).toEqual({ ok: false, problems: ['file mode is 640, expected 600'] });
    await store.close();
  });

  it('is in WAL mode', async () => {
    const h = await tempSqliteStore();
    await h.store.close();
    const db = new Database(h.file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    await h.cleanup();
  });

  it('a file that is not a database is WAGATE_ERR_STORE saying so, never an empty store', async () => {
    const file = storeFile(await temp());
    fs.writeFileSync(file, 'this is not sqlite, just some text that is long enough to be read as a header page', { mode: 0o600 });
    const err = await openSqliteStore({ file }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'WAGATE_ERR_STORE' });
    expect((err as Error).message).toMatch(/SQLITE_NOTADB.*damaged or not a wagate store/);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^this is not sqlite/);
  });

  it('a directory it cannot create is WAGATE_ERR_STORE', async () => {
    const dir = await temp();
    fs.writeFileSync(path.join(dir, 'file'), '');
    await expect(openSqliteStore({ file: path.join(dir, 'file', 'wagate.db') })).rejects.toMatchObject({
      code: 'WAGATE_ERR_STORE',
    });
  });

  it('a key batch that fails half-way applies none of it', async () => {
    const h = await tempSqliteStore();
    cleanups.push(h.cleanup);
    await h.store.keys.set('a', [{ type: 'session', id: '1', value: 'old' }]);
    // The driver refuses to bind an object: the third write throws after two were run.
    const bad = { type: 'session', id: '3', value: {} as unknown as string };
    await expect(
      h.store.keys.set('a', [{ type: 'session', id: '1', value: 'new' }, { type: 'session', id: '2', value: 'v2' }, bad]),
    ).rejects.toThrow();
    expect(await h.store.keys.get('a', 'session', ['1', '2'])).toEqual(new Map([['1', 'old']]));
  });

  it('refuses a call to the outer store from inside transaction(fn) instead of waiting forever', async () => {
    const h = await tempSqliteStore();
    cleanups.push(h.cleanup);
    const s = h.store;
    await expect(
      s.transaction(async (tx) => {
        await tx.handled.add('a', 'k', 1);
        await s.handled.has('a', 'k');
      }),
    ).rejects.toMatchObject({ code: 'WAGATE_ERR_INTERNAL', message: expect.stringMatching(/use the handle/) });
    expect(await s.handled.has('a', 'k')).toBe(false);
    await expect(s.transaction(async () => s.transaction(async () => 1))).rejects.toMatchObject({ code: 'WAGATE_ERR_INTERNAL' });
  });

  it('another process holding the write lock makes a write wait, then fail with WAGATE_ERR_STORE naming the lock', async () => {
    const h = await tempSqliteStore({ busyTimeoutMs: 50 });
    cleanups.push(h.cleanup);
    const other = new Database(h.file);
    other.exec('BEGIN IMMEDIATE');
    try {
      const err = await h.store.handled.add('a', 'k', 1).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'WAGATE_ERR_STORE' });
      expect((err as Error).message).toMatch(/SQLITE_BUSY.*another process holds it locked/);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(await h.store.handled.add('a', 'k', 1)).toBe(true);
  });
});
