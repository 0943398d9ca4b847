import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/index.js';
import { SessionStore, sessionsDirFor, type SessionEntry } from '../../src/agents/session-store.js';
import { sessionFileName } from '../../src/agents/session-file-name.js';
import { dmHistoryLimitFor, selectHistory } from '../../src/agents/session-history.js';
import { tmpDir } from '../helpers/tmp.js';

const KEY = 'agent:main:whatsapp:group:120363000000000001@g.us';
const u = (text: string, at: number, messageId?: string): SessionEntry =>
  messageId ? { role: 'user', text, at, messageId } : { role: 'user', text, at };
const a = (text: string, at: number): SessionEntry => ({ role: 'assistant', text, at });

describe('SessionStore', () => {
  it('appends JSONL lines, one file per session key, files 0600', async () => {
    const store = new SessionStore(path.join(tmpDir('agents'), 'sessions'));
    await store.append(KEY, u('hi', 1, 'M1'), a('hello', 2));
    await store.append('agent:main:main', u('other', 3));
    const file = store.fileFor(KEY);
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual([u('hi', 1, 'M1'), a('hello', 2)]);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(store.fileFor('agent:main:main')).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(store.dir).sort()).toEqual(
      ['agent%3Amain%3Amain.jsonl', 'agent%3Amain%3Awhatsapp%3Agroup%3A120363000000000001@g.us.jsonl'].sort(),
    );
    expect(await store.read('agent:main:main')).toEqual([u('other', 3)]);
  });

  it('reads a missing session as empty', async () => {
    const store = new SessionStore(tmpDir('agents'));
    expect(await store.read(KEY)).toEqual([]);
    expect(await store.has(KEY, 'M1')).toBe(false);
  });

  it('keeps concurrent appends whole and in call order', async () => {
    const store = new SessionStore(tmpDir('agents'));
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.append(KEY, u(`m${i}`, i))));
    expect((await store.read(KEY)).map((e) => e.text)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
  });

  it('skips a torn last line and does not glue the next entry to it', async () => {
    const dir = tmpDir('agents');
    const store = new SessionStore(dir);
    fs.writeFileSync(store.fileFor(KEY), `${JSON.stringify(u('ok', 1))}\n{"role":"user","te`);
    expect(await store.read(KEY)).toEqual([u('ok', 1)]);
    await new SessionStore(dir).append(KEY, a('after crash', 2));
    expect(await store.read(KEY)).toEqual([u('ok', 1), a('after crash', 2)]);
  });

  it('reads only what was added since: another writer\'s appends are seen, a half-written line once it is whole, a replaced file from the start', async () => {
    const dir = tmpDir('agents');
    const store = new SessionStore(dir);
    await store.append(KEY, u('one', 1));
    expect(await store.read(KEY)).toEqual([u('one', 1)]);
    await new SessionStore(dir).append(KEY, u('two', 2)); // e.g. the heartbeat actor
    expect(await store.read(KEY)).toEqual([u('one', 1), u('two', 2)]);
    const line = JSON.stringify(a('three', 3));
    fs.appendFileSync(store.fileFor(KEY), line.slice(0, 10));
    expect(await store.read(KEY)).toEqual([u('one', 1), u('two', 2)]);
    fs.appendFileSync(store.fileFor(KEY), `${line.slice(10)}\n`);
    expect(await store.read(KEY)).toEqual([u('one', 1), u('two', 2), a('three', 3)]);
    fs.writeFileSync(store.fileFor(KEY), `${JSON.stringify(u('fresh', 9))}\n`);
    expect(await store.read(KEY)).toEqual([u('fresh', 9)]);
  });

  it('skips lines that are JSON but not entries', async () => {
    const store = new SessionStore(tmpDir('agents'));
    fs.writeFileSync(store.fileFor(KEY), `[1]\n{"role":"bot","text":"x","at":1}\n${JSON.stringify(a('ok', 2))}\n`);
    expect(await store.read(KEY)).toEqual([a('ok', 2)]);
  });

  it('has() finds user turns by WhatsApp message id', async () => {
    const store = new SessionStore(tmpDir('agents'));
    await store.append(KEY, u('x', 1, 'ABC'));
    expect(await store.has(KEY, 'ABC')).toBe(true);
    expect(await store.has(KEY, 'XYZ')).toBe(false);
  });

  it('history() applies the limits to what is stored', async () => {
    const store = new SessionStore(tmpDir('agents'));
    await store.append(KEY, u('1', 1), a('r1', 2), u('2', 3), a('r2', 4), u('3', 5), a('r3', 6));
    expect((await store.history(KEY, { userTurns: 2 })).map((e) => e.text)).toEqual(['2', 'r2', '3', 'r3']);
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
