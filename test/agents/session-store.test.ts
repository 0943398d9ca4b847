import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/index.js';
import { SessionStore, sessionsDirFor, type SessionEntry } from '../../src/agents/session-store.js';
import { importSessionDir, importSessionFiles } from '../../src/agents/session-import.js';
import { sessionFileName, sessionKeyFromFileName } from '../../src/agents/session-file-name.js';
import { dmHistoryLimitFor, selectHistory } from '../../src/agents/session-history.js';
import type { Store } from '../../src/store/port.js';
import { openSqliteStore, storeFile } from '../../src/store/sqlite.js';
import { tmpDir } from '../helpers/tmp.js';

const KEY = 'agent:main:whatsapp:group:120363000000000001@g.us';
const u = (text: string, at: number, messageId?: string): SessionEntry =>
  messageId ? { role: 'user', text, at, messageId } : { role: 'user', text, at };
const a = (text: string, at: number): SessionEntry => ({ role: 'assistant', text, at });

const open: Store[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
async function tempStore(dir = tmpDir('agents')): Promise<Store> {
  const s = await openSqliteStore({ file: storeFile(dir) });
  open.push(s);
  return s;
}
const quietLog = () => {
  const lines: { level: string; obj: object; msg: string }[] = [];
  return {
    lines,
    info: (obj: object, msg: string) => void lines.push({ level: 'info', obj, msg }),
    warn: (obj: object, msg: string) => void lines.push({ level: 'warn', obj, msg }),
  };
};

describe('SessionStore (on the store)', () => {
  it('appends turns per session key and reads them back with their meta', async () => {
    const store = new SessionStore((await tempStore()).sessions);
    const full: SessionEntry = { role: 'user', text: 'hi', at: 1, messageId: 'M1', chatJid: 'c@g.us', sender: 'Ann (+1555)' };
    await store.append(KEY, full, a('hello', 2));
    await store.append('agent:main:main', u('other', 3));
    expect(await store.read(KEY)).toEqual([full, a('hello', 2)]);
    expect(await store.read('agent:main:main')).toEqual([u('other', 3)]);
  });

  it('reads a missing session as empty', async () => {
    const store = new SessionStore((await tempStore()).sessions);
    expect(await store.read(KEY)).toEqual([]);
    expect(await store.has(KEY, 'M1')).toBe(false);
  });

  it('keeps concurrent appends whole and in call order', async () => {
    const store = new SessionStore((await tempStore()).sessions);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.append(KEY, u(`m${i}`, i))));
    expect((await store.read(KEY)).map((e) => e.text)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
  });

  it('appends on SQLite are written at once (appendNow); while transaction(fn) holds the store they wait, in call order, and a failure fails only its caller', async () => {
    const db = await tempStore();
    expect(db.sessions.appendNow).toBeDefined();
    const store = new SessionStore(db.sessions);
    await store.read(KEY); // cached
    const first = store.append(KEY, u('m0', 0, 'M0'));
    // written before the call returned: the cached session and the store have it
    expect(await store.has(KEY, 'M0')).toBe(true);
    expect((await db.sessions.turns(KEY)).map((t) => t.text)).toEqual(['m0']);
    await first;
    let release!: () => void;
    const held = db.transaction(() => new Promise<void>((r) => (release = r)));
    await Promise.resolve();
    const waiting = [store.append(KEY, u('m1', 1)), store.append(KEY, u('m2', 2))];
    const bad = store.append(KEY, { role: 'system' as 'user', text: 'bad', at: 9 });
    const after = store.append(KEY, u('m3', 3));
    release();
    await held;
    await Promise.all(waiting);
    await expect(bad).rejects.toMatchObject({ code: 'WAGATE_ERR_STORE' });
    await after;
    // the next append goes straight in again, after the waiting ones
    await store.append(KEY, u('m4', 4));
    expect((await store.read(KEY)).map((e) => e.text)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect((await db.sessions.turns(KEY)).map((t) => t.text)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    // a failing append written at once rejects its caller, the session is unchanged
    await expect(store.append(KEY, { role: 'system' as 'user', text: 'bad', at: 9 })).rejects.toMatchObject({ code: 'WAGATE_ERR_STORE' });
    expect((await db.sessions.turns(KEY)).length).toBe(5);
  });

  it("another writer's appends (the heartbeat actor, another process) are seen at once", async () => {
    const port = (await tempStore()).sessions;
    const store = new SessionStore(port);
    await store.append(KEY, u('one', 1));
    await new SessionStore(port).append(KEY, u('two', 2));
    expect(await store.read(KEY)).toEqual([u('one', 1), u('two', 2)]);
  });

  it('has() finds user turns by WhatsApp message id', async () => {
    const store = new SessionStore((await tempStore()).sessions);
    await store.append(KEY, u('x', 1, 'ABC'));
    expect(await store.has(KEY, 'ABC')).toBe(true);
    expect(await store.has(KEY, 'XYZ')).toBe(false);
  });

  it('history() applies the limits to what is stored', async () => {
    const store = new SessionStore((await tempStore()).sessions);
    await store.append(KEY, u('1', 1), a('r1', 2), u('2', 3), a('r2', 4), u('3', 5), a('r3', 6));
    expect((await store.history(KEY, { userTurns: 2 })).map((e) => e.text)).toEqual(['2', 'r2', '3', 'r3']);
  });

  it('unreadable meta is dropped, never fatal', async () => {
    const port = (await tempStore()).sessions;
    await port.append(KEY, [{ role: 'user', text: 'x', at: 1, meta: '{not json' }]);
    expect(await new SessionStore(port).read(KEY)).toEqual([u('x', 1)]);
  });
});

describe('one-time import of the JSONL session files', () => {
  const NOW = new Date(2025, 5, 7, 12).getTime();

  it('imports each file into the store under its key and moves it aside, never deleting it', async () => {
    const state = tmpDir('agents');
    const store = await tempStore(state);
    const dir = path.join(state, 'agents', 'main', 'sessions');
    fs.mkdirSync(dir, { recursive: true });
    const full: SessionEntry = { role: 'user', text: 'hi', at: 1, messageId: 'M1', chatJid: 'c@g.us', sender: '+1555' };
    fs.writeFileSync(path.join(dir, sessionFileName(KEY)), `${JSON.stringify(full)}\n${JSON.stringify(a('hello', 2))}\n`);
    fs.writeFileSync(path.join(dir, sessionFileName('agent:main:main')), `${JSON.stringify(u('m', 3))}\n`);
    const log = quietLog();
    const r = await importSessionFiles({ store, config: ConfigSchema.parse({}), stateDir: state, log, now: () => NOW });
    expect(r).toEqual({ files: 2, turns: 3, skipped: 0 });
    expect(await new SessionStore(store.sessions).read(KEY)).toEqual([full, a('hello', 2)]);
    expect(await new SessionStore(store.sessions).read('agent:main:main')).toEqual([u('m', 3)]);
    expect(fs.readdirSync(dir).sort()).toEqual(
      [`${sessionFileName(KEY)}.imported-20250607`, `${sessionFileName('agent:main:main')}.imported-20250607`].sort(),
    );
    // never twice
    expect(await importSessionFiles({ store, config: ConfigSchema.parse({}), stateDir: state, log, now: () => NOW })).toEqual({ files: 0, turns: 0, skipped: 0 });
    expect((await store.sessions.turns(KEY)).length).toBe(2);
  });

  it('skips a torn last line with a warning', async () => {
    const state = tmpDir('agents');
    const store = await tempStore(state);
    const dir = path.join(state, 'agents', 'main', 'sessions');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, sessionFileName(KEY)), `${JSON.stringify(u('ok', 1))}\n{"role":"user","te`);
    const log = quietLog();
    expect(await importSessionDir({ store, dir, log, now: () => NOW })).toEqual({ files: 1, turns: 1, skipped: 1 });
    expect(await new SessionStore(store.sessions).read(KEY)).toEqual([u('ok', 1)]);
    expect(log.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([expect.stringContaining('skipped 1 unreadable line')]);
  });

  it('a file already imported before a crash (the store ends with its last turn) is only moved aside', async () => {
    const state = tmpDir('agents');
    const store = await tempStore(state);
    const dir = tmpDir('sessions');
    const file = path.join(dir, sessionFileName(KEY));
    fs.writeFileSync(file, `${JSON.stringify(u('a', 1))}\n${JSON.stringify(a('b', 2))}\n`);
    await new SessionStore(store.sessions).append(KEY, u('a', 1), a('b', 2));
    await importSessionDir({ store, dir, log: quietLog(), now: () => NOW });
    expect((await store.sessions.turns(KEY)).length).toBe(2);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.existsSync(`${file}.imported-20250607`)).toBe(true);
  });

  it('a configured session.store dir is imported too', async () => {
    const state = tmpDir('agents');
    const store = await tempStore(state);
    const config = ConfigSchema.parse({ session: { store: 'data/{agentId}' } });
    const dir = sessionsDirFor(config, state, 'main');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, sessionFileName(KEY)), `${JSON.stringify(u('x', 1))}\n`);
    expect((await importSessionFiles({ store, config, stateDir: state, log: quietLog() })).files).toBe(1);
    expect(await store.sessions.turns(KEY)).toHaveLength(1);
  });

  it('file names go back to their keys', () => {
    for (const key of [KEY, 'a:b', 'a%3Ab', '.hidden', 'ü:1', 'a/b']) expect(sessionKeyFromFileName(sessionFileName(key))).toEqual({ key, hashed: false });
    const long = `agent:main:${'x'.repeat(400)}`;
    expect(sessionKeyFromFileName(sessionFileName(long))).toMatchObject({ hashed: true });
    expect(sessionKeyFromFileName('notes.txt')).toBeUndefined();
  });
});

describe('session dir', () => {
  it('defaults to <state>/agents/<agentId>/sessions', () => {
    expect(sessionsDirFor(ConfigSchema.parse({}), '/st', 'work')).toBe('/st/agents/work/sessions');
  });
  it('session.store with {agentId}, relative to the state dir', () => {
    const c = ConfigSchema.parse({ session: { store: 'data/{agentId}/s' } });
    expect(sessionsDirFor(c, '/st', 'work')).toBe('/st/data/work/s');
    const abs = ConfigSchema.parse({ session: { store: '/var/x/{agentId}' } });
    expect(sessionsDirFor(abs, '/st', 'main')).toBe('/var/x/main');
  });
});

describe('sessionFileName', () => {
  it('is injective on tricky keys and never leaves the dir', () => {
    const keys = ['a:b', 'a%3Ab', 'a_b', 'a/b', '../x', '.hidden', 'ü:1', 'a\\b'];
    const names = keys.map(sessionFileName);
    expect(new Set(names).size).toBe(keys.length);
    for (const n of names) {
      expect(n).not.toMatch(/[/\\:]/);
      expect(n.startsWith('.')).toBe(false);
    }
  });
  it('bounds very long names and keeps them distinct', () => {
    const long1 = `agent:main:${'x'.repeat(400)}1`;
    const long2 = `agent:main:${'x'.repeat(400)}2`;
    expect(sessionFileName(long1).length).toBeLessThan(255);
    expect(sessionFileName(long1)).not.toBe(sessionFileName(long2));
  });
});

describe('selectHistory', () => {
  const entries = [u('1', 1000), a('r1', 2000), u('2', 3000), u('2b', 3500), a('r2', 4000), u('3', 5000), a('r3', 6000)];
  it.each([
    [undefined, ['1', 'r1', '2', '2b', 'r2', '3', 'r3']],
    [0, []],
    [1, ['3', 'r3']],
    [2, ['2b', 'r2', '3', 'r3']],
    [3, ['2', '2b', 'r2', '3', 'r3']],
    [99, ['1', 'r1', '2', '2b', 'r2', '3', 'r3']],
  ])('userTurns %s', (userTurns, texts) => {
    expect(selectHistory(entries, { userTurns }).map((e) => e.text)).toEqual(texts);
  });

  it('idle: a long gap starts afresh; only turns after it are given', () => {
    const withGap = [u('old', 0), a('r-old', 10), u('new', 100_000), a('r-new', 100_010)];
    expect(selectHistory(withGap, { idleMs: 60_000, now: 100_020 }).map((e) => e.text)).toEqual(['new', 'r-new']);
  });

  it('idle: silence since the last turn gives no history at all', () => {
    expect(selectHistory(entries, { idleMs: 60_000, now: 6000 + 60_001 })).toEqual([]);
    expect(selectHistory(entries, { idleMs: 60_000, now: 6000 + 60_000 })).toHaveLength(entries.length);
  });

  it('idle and userTurns combine', () => {
    const withGap = [u('old', 0), u('a', 100_000), u('b', 100_001), a('rb', 100_002)];
    expect(selectHistory(withGap, { idleMs: 1000, now: 100_003, userTurns: 1 }).map((e) => e.text)).toEqual(['b', 'rb']);
  });
});

describe('dmHistoryLimitFor', () => {
  const account = { dmHistoryLimit: 10, dms: { '+15551234567': { historyLimit: 2 }, '15550000009': { historyLimit: 0 } } };
  it.each([
    ['+15551234567', 2],
    ['+15550000009', 0],
    ['+15557777777', 10],
  ])('%s → %s', (chat, limit) => {
    expect(dmHistoryLimitFor(account, chat)).toBe(limit);
  });
  it('undefined without any limit', () => {
    expect(dmHistoryLimitFor({ dmHistoryLimit: undefined, dms: {} }, '+1555')).toBeUndefined();
  });
});

describe('SessionStore keeps the sessions it read in memory (this process is their only writer)', () => {
  it('reads a session from the store once; later reads see every append, in order', async () => {
    const store = await tempStore();
    await store.sessions.append('agent:main:main', [{ role: 'user', text: 'before', at: 1, meta: null }]);
    let reads = 0;
    const port = { ...store.sessions, turns: (key: string, limit?: number) => (reads++, store.sessions.turns(key, limit)) };
    const sessions = new SessionStore(port);
    expect((await sessions.read('agent:main:main')).map((e) => e.text)).toEqual(['before']);
    await sessions.append('agent:main:main', { role: 'assistant', text: 'a', at: 2 }, { role: 'user', text: 'b', at: 3, messageId: 'M3' });
    const seen = await sessions.read('agent:main:main');
    seen.push({ role: 'user', text: 'a caller mutating its copy', at: 4 });
    expect((await sessions.read('agent:main:main')).map((e) => e.text)).toEqual(['before', 'a', 'b']);
    expect(await sessions.has('agent:main:main', 'M3')).toBe(true);
    expect(reads).toBe(1);
    // The store has the same turns (write-through): a new process reads them back.
    expect((await new SessionStore(store.sessions).read('agent:main:main')).map((e) => e.text)).toEqual(['before', 'a', 'b']);
  });
});
