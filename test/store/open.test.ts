/**
 * Which store a process opens: `store.kind` / `store.url` in the config and
 * `$WAGATE_STORE_URL`, and the config errors, none of which shows the URL.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lenientStoreTarget } from '../../src/cli/context.js';
import { tmpDir } from '../helpers/tmp.js';
import { isChatWritable, validateConfig } from '../../src/config/index.js';
import { storeTarget, targetLocation } from '../../src/store/open.js';

const STATE = '/state';
const URL_A = 'postgres://wagate:hunter2-secret@db.example:5432/wagate';
const URL_B = 'postgresql://other:pw-from-env@10.0.0.9/wagate?sslmode=require';

const errorOf = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
};

describe('storeTarget', () => {
  it('is SQLite in the state dir by default', () => {
    expect(storeTarget(validateConfig({}, 'x.json').store, STATE, {})).toEqual({ kind: 'sqlite', file: path.join(STATE, 'wagate.db') });
  });

  it('is PostgreSQL when a URL is given, the environment winning over the file', () => {
    expect(storeTarget({ url: URL_A }, STATE, {})).toEqual({ kind: 'postgres', url: URL_A });
    expect(storeTarget({ kind: 'postgres', url: URL_A }, STATE, { WAGATE_STORE_URL: URL_B })).toEqual({ kind: 'postgres', url: URL_B });
    expect(storeTarget({ kind: 'postgres' }, STATE, { WAGATE_STORE_URL: URL_B })).toEqual({ kind: 'postgres', url: URL_B });
    expect(storeTarget(undefined, STATE, { WAGATE_STORE_URL: URL_B })).toEqual({ kind: 'postgres', url: URL_B });
    expect(storeTarget(undefined, STATE, { WAGATE_STORE_URL: '' })).toMatchObject({ kind: 'sqlite' });
  });

  it('refuses postgres without a URL, sqlite with one, and a URL that is not PostgreSQL, never showing it', () => {
    expect(errorOf(() => storeTarget({ kind: 'postgres' }, STATE, {}))).toMatchObject({
      code: 'WAGATE_ERR_CONFIG',
      message: expect.stringMatching(/no URL.*WAGATE_STORE_URL/),
    });
    const sqliteWithUrl = errorOf(() => storeTarget({ kind: 'sqlite' }, STATE, { WAGATE_STORE_URL: URL_B }));
    expect(sqliteWithUrl).toMatchObject({ code: 'WAGATE_ERR_CONFIG', message: expect.stringMatching(/\$WAGATE_STORE_URL is set/) });
    expect(sqliteWithUrl.message).not.toContain('pw-from-env');
    const notPg = errorOf(() => storeTarget(undefined, STATE, { WAGATE_STORE_URL: 'mysql://u:pw-from-env@h/db' }));
    expect(notPg).toMatchObject({ code: 'WAGATE_ERR_CONFIG', message: expect.stringMatching(/not a PostgreSQL URL/) });
    expect(notPg.message).not.toContain('pw-from-env');
  });

  it('says where it is without the password', () => {
    expect(targetLocation(storeTarget({ url: URL_A }, STATE, {}))).toBe('postgres://wagate@db.example:5432/wagate');
    expect(targetLocation(storeTarget({}, STATE, {}))).toBe(path.join(STATE, 'wagate.db'));
  });
});

describe('the store section of the config', () => {
  it('takes a kind and a PostgreSQL URL', () => {
    expect(validateConfig({ store: { kind: 'postgres', url: URL_A } }, 'x.json').store).toEqual({ kind: 'postgres', url: URL_A });
  });

  it('refuses a URL of another scheme without echoing it, an unknown kind, and a URL with kind sqlite', () => {
    const bad = errorOf(() => validateConfig({ store: { url: 'mysql://u:hunter2-secret@h/db' } }, 'x.json'));
    expect(bad).toMatchObject({ code: 'WAGATE_ERR_CONFIG', message: expect.stringMatching(/store\.url .*PostgreSQL URL/) });
    expect(bad.message).not.toContain('hunter2');
    expect(errorOf(() => validateConfig({ store: { kind: 'mysql' } }, 'x.json'))).toMatchObject({ message: expect.stringMatching(/store\.kind/) });
    const mixed = errorOf(() => validateConfig({ store: { kind: 'sqlite', url: URL_A } }, 'x.json'));
    expect(mixed).toMatchObject({ code: 'WAGATE_ERR_CONFIG', message: expect.stringMatching(/store\.url .*store\.kind "postgres"/) });
    expect(mixed.message).not.toContain('hunter2');
  });

  it('cannot be changed from chat (/config)', () => {
    expect(isChatWritable(['store', 'url'])).toBe(false);
    expect(isChatWritable(['store', 'kind'])).toBe(false);
    expect(isChatWritable(['store'])).toBe(false);
  });
});

describe('lenientStoreTarget (commands that work with a broken config, e.g. `wagate pairing`)', () => {
  it('reads the store section of a config that is otherwise invalid, and falls back to SQLite when nothing parses', () => {
    const dir = tmpDir('store-open');
    const file = path.join(dir, 'wagate.json');
    fs.writeFileSync(file, JSON.stringify({ store: { url: URL_A }, channels: 42 }));
    expect(lenientStoreTarget({ WAGATE_CONFIG: file }, dir)).toEqual({ kind: 'postgres', url: URL_A });
    expect(lenientStoreTarget({ WAGATE_CONFIG: file, WAGATE_STORE_URL: URL_B }, dir)).toEqual({ kind: 'postgres', url: URL_B });
    fs.writeFileSync(file, '{ not json5');
    expect(lenientStoreTarget({ WAGATE_CONFIG: file }, dir)).toEqual({ kind: 'sqlite', file: path.join(dir, 'wagate.db') });
  });
});
