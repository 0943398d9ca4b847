/** The access-side stores on the store (SPEC §12): the old dedupe files' import, group activations, and their one-time import. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ActivationStore, importActivationFile } from '../../src/access/policy/activation-store.js';
import { importDedupeFiles } from '../../src/access/policy/dedupe-store.js';
import { activationStorePath, dedupeStorePath } from '../../src/state-layout.js';
import { IMPORTED_SUFFIX } from '../../src/store/moved-aside.js';
import type { Store } from '../../src/store/port.js';
import { tempSqliteStore } from '../store/helpers/temp.js';

let h: Awaited<ReturnType<typeof tempSqliteStore>>;
let stateDir: string;
beforeEach(async () => {
  h = await tempSqliteStore();
  stateDir = path.dirname(h.file);
});
afterEach(() => h.cleanup());

const T = Date.UTC(2025, 2, 4, 12);
const leftovers = (dir: string, name: string) => fs.readdirSync(dir).filter((n) => n.startsWith(`${name}${IMPORTED_SUFFIX}`));

describe('importDedupeFiles', () => {
  it('imports each account file (newest keys), moves it aside, and does nothing the second time', async () => {
    const file = dedupeStorePath(stateDir, 'work');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ version: 1, keys: ['in|a|1', 'in|a|2', 'out|X', 7] }));
    const res = await importDedupeFiles(h.store, stateDir, { now: () => T, limit: 2 });
    expect(res).toEqual([{ accountId: 'work', file, keys: 2, movedTo: `${file}${IMPORTED_SUFFIX}20250304` }]);
    expect(await h.store.handled.recent('work', 10)).toEqual(['in|a|2', 'out|X']);
    expect(fs.existsSync(file)).toBe(false);
    expect(leftovers(path.dirname(file), 'work.json')).toEqual(['work.json.imported-20250304']);
    expect(await importDedupeFiles(h.store, stateDir, { now: () => T })).toEqual([]);
  });

  it('a corrupt file is moved aside with nothing imported (it held only dedupe memory)', async () => {
    const file = dedupeStorePath(stateDir, 'default');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{not json');
    const [r] = await importDedupeFiles(h.store, stateDir, { now: () => T });
    expect(r).toMatchObject({ accountId: 'default', keys: 0, corrupt: true });
    expect(fs.readFileSync(r!.movedTo!, 'utf8')).toBe('{not json');
    expect(await h.store.handled.recent('default', 10)).toEqual([]);
  });
});

describe('ActivationStore', () => {
  it('keeps accounts apart and the next run reads what was set', async () => {
    const s = new ActivationStore(h.store, () => T);
    expect(await s.get('a', 'g@g.us')).toBeUndefined();
    await s.set('a', 'g@g.us', 'always');
    await s.set('b', 'g@g.us', 'mention');
    expect(await s.get('a', 'g@g.us')).toBe('always');
    expect(s.count()).toBe(2);
    const store: Store = await h.reopen();
    const next = new ActivationStore(store);
    expect(await next.get('b', 'g@g.us')).toBe('mention');
    expect(await next.get('b', 'h@g.us')).toBeUndefined();
  });

  it('a write error rejects and memory keeps the old value', async () => {
    const s = new ActivationStore(h.store);
    await s.set('a', 'g@g.us', 'mention');
    vi.spyOn(h.store.activations, 'set').mockRejectedValueOnce(new Error('disk full'));
    await expect(s.set('a', 'g@g.us', 'always')).rejects.toThrow('disk full');
    expect(await s.get('a', 'g@g.us')).toBe('mention');
  });
});

describe('importActivationFile', () => {
  it('imports known modes only, keeps what the store has, moves the file aside', async () => {
    const file = activationStorePath(stateDir);
    fs.writeFileSync(file, JSON.stringify({ version: 1, accounts: { a: { 'g@g.us': 'always', 'h@g.us': 'loud', 'k@g.us': 'mention' }, b: null } }));
    await h.store.activations.set('a', 'k@g.us', 'always', 1);
    const r = await importActivationFile(h.store, stateDir, () => T);
    expect(r).toEqual({ file, groups: 1, movedTo: `${file}${IMPORTED_SUFFIX}20250304` });
    expect(await h.store.activations.all('a')).toEqual({ 'g@g.us': 'always', 'k@g.us': 'always' });
    expect(await importActivationFile(h.store, stateDir, () => T)).toBeUndefined();
  });

  it('a corrupt file is moved aside (the next name when one exists) with nothing imported', async () => {
    const file = activationStorePath(stateDir);
    fs.writeFileSync(`${file}${IMPORTED_SUFFIX}20250304`, '{}');
    fs.writeFileSync(file, '{not json');
    const r = await importActivationFile(h.store, stateDir, () => T);
    expect(r).toMatchObject({ groups: 0, corrupt: true, movedTo: `${file}${IMPORTED_SUFFIX}20250304-2` });
    expect(await h.store.activations.all('a')).toEqual({});
  });
});
