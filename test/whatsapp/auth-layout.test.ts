import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as baileys from '@whiskeysockets/baileys';
import { beforeEach, describe, expect, it } from 'vitest';
import { isWagateError } from '../../src/errors.js';
import * as deep from '../../src/whatsapp/baileys-auth.js';
import { resolveAuthDir } from '../../src/whatsapp/auth-layout.js';
import { makeLinkedDir } from './helpers/auth-fixtures.js';
import { tmpDir } from '../helpers/tmp.js';

let root: string;
let credentials: string;
let ownDir: string;
beforeEach(() => {
  root = tmpDir('auth');
  credentials = path.join(root, 'credentials');
  ownDir = path.join(credentials, 'whatsapp', 'default');
});

describe('resolveAuthDir', () => {
  const base = () => ({ stateDir: root, accountId: 'default', isDefault: true });

  it('uses <state>/credentials/whatsapp/<accountId> when there is no legacy creds.json', async () => {
    expect(await resolveAuthDir(base())).toEqual({ dir: ownDir, legacy: false });
    expect(await resolveAuthDir({ ...base(), accountId: 'work', isDefault: false })).toEqual({
      dir: path.join(credentials, 'whatsapp', 'work'),
      legacy: false,
    });
  });

  it('uses the legacy <state>/credentials/ for the default account without creds of its own', async () => {
    await makeLinkedDir(credentials);
    expect(await resolveAuthDir(base())).toEqual({ dir: credentials, legacy: true });
  });

  it('never uses the legacy dir for another account', async () => {
    await makeLinkedDir(credentials);
    const r = await resolveAuthDir({ ...base(), accountId: 'work', isDefault: false });
    expect(r).toEqual({ dir: path.join(credentials, 'whatsapp', 'work'), legacy: false });
  });

  it('prefers the account dir once it holds linked creds', async () => {
    await makeLinkedDir(credentials, '111:1@s.whatsapp.net');
    await makeLinkedDir(ownDir);
    expect(await resolveAuthDir(base())).toEqual({ dir: ownDir, legacy: false });
  });

  it('keeps a damaged account dir instead of silently switching to the legacy identity', async () => {
    await makeLinkedDir(credentials);
    await mkdir(ownDir, { recursive: true });
    await writeFile(path.join(ownDir, 'creds.json'), '{');
    expect(await resolveAuthDir(base())).toEqual({ dir: ownDir, legacy: false });
  });

  it('takes a configured authDir as is (relative to the state dir)', async () => {
    await makeLinkedDir(credentials);
    expect(await resolveAuthDir({ ...base(), authDir: 'elsewhere' })).toEqual({
      dir: path.join(root, 'elsewhere'),
      legacy: false,
    });
    expect(await resolveAuthDir({ ...base(), authDir: '/abs/auth' })).toEqual({
      dir: '/abs/auth',
      legacy: false,
    });
  });

  it('refuses an account id that would escape the credentials dir', async () => {
    const err = await resolveAuthDir({ ...base(), accountId: '../x' }).catch((e: unknown) => e);
    expect(isWagateError(err) && err.code).toBe('WAGATE_ERR_CONFIG');
  });
});

describe('compatibility with Baileys useMultiFileAuthState', () => {
  it('uses the very BufferJSON, initAuthCreds and proto the package root exports', () => {
    expect(deep.BufferJSON).toBe(baileys.BufferJSON);
    expect(deep.initAuthCreds).toBe(baileys.initAuthCreds);
    expect(deep.proto).toBe(baileys.proto);
  });
});
