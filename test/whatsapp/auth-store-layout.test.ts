import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as baileys from '@whiskeysockets/baileys';
import { useMultiFileAuthState, proto } from '@whiskeysockets/baileys';
import { beforeEach, describe, expect, it } from 'vitest';
import { isWagateError } from '../../src/errors.js';
import * as deep from '../../src/whatsapp/baileys-auth.js';
import {
  hasCreds,
  openAuthStore,
  removeAuthState,
  resolveAuthDir,
} from '../../src/whatsapp/auth-store.js';
import { identityKeyOf, makeLinkedDir, ME, recordingLog } from './helpers/auth-fixtures.js';
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

describe('hasCreds', () => {
  it('is false for no dir, and for fresh creds that were never linked', async () => {
    expect(await hasCreds(ownDir)).toBe(false);
    const store = await openAuthStore({ dir: ownDir, log: recordingLog() });
    await store.saveCreds();
    expect(await hasCreds(ownDir)).toBe(false);
  });

  it('is true when creds.json has me set, or when only a restorable .bak has', async () => {
    await makeLinkedDir(ownDir);
    expect(await hasCreds(ownDir)).toBe(true);
    await writeFile(path.join(ownDir, 'creds.json'), 'torn');
    expect(await hasCreds(ownDir)).toBe(true);
  });

  it('rejects with WAGATE_ERR_CREDS when creds.json cannot be read', async () => {
    await mkdir(path.join(ownDir, 'creds.json'), { recursive: true });
    const err = await hasCreds(ownDir).catch((e: unknown) => e);
    expect(isWagateError(err) && err.code).toBe('WAGATE_ERR_CREDS');
  });
});

describe('removeAuthState (logout)', () => {
  it('removes creds, .bak, key files and temp files, keeping oauth.json and the rest', async () => {
    await makeLinkedDir(credentials);
    const store = await openAuthStore({ dir: credentials, log: recordingLog() });
    await store.state.keys.set({
      session: { 'a@s.whatsapp.net': Buffer.from([1]) },
      'sender-key-memory': { g1: { x: true } },
      'app-state-sync-key': { k1: { keyData: Buffer.from([9]) } },
    });
    const keep = ['oauth.json', 'whatsapp-pairing.json', 'whatsapp-allowFrom.json', 'notes.txt'];
    for (const f of keep) await writeFile(path.join(credentials, f), '{}');
    await mkdir(path.join(credentials, 'whatsapp', 'work'), { recursive: true });
    await writeFile(path.join(credentials, '.creds.json.1.1.tmp'), 'x');
    await writeFile(path.join(credentials, '.whatsapp-pairing.json.1.2.tmp'), 'x'); // not ours

    const removed = await removeAuthState(credentials);
    expect(removed.map((p) => path.basename(p)).sort()).toEqual([
      '.creds.json.1.1.tmp',
      'app-state-sync-key-k1.json',
      'creds.json',
      'creds.json.bak',
      'sender-key-memory-g1.json',
      'session-a@s.whatsapp.net.json',
    ]);
    expect((await readdir(credentials)).sort()).toEqual(
      [...keep, '.whatsapp-pairing.json.1.2.tmp', 'whatsapp'].sort(),
    );
    expect(await hasCreds(credentials)).toBe(false);
    expect((await openAuthStore({ dir: credentials, log: recordingLog() })).source).toBe('fresh');
  });

  it('returns nothing for a directory that does not exist', async () => {
    expect(await removeAuthState(path.join(root, 'nope'))).toEqual([]);
  });
});

describe('compatibility with Baileys useMultiFileAuthState', () => {
  it('uses the very BufferJSON, initAuthCreds and proto the package root exports', () => {
    expect(deep.BufferJSON).toBe(baileys.BufferJSON);
    expect(deep.initAuthCreds).toBe(baileys.initAuthCreds);
    expect(deep.proto).toBe(baileys.proto);
  });

  it('opens a directory Baileys wrote, and Baileys opens one this store wrote', async () => {
    const theirs = path.join(root, 'theirs');
    const b = await useMultiFileAuthState(theirs);
    b.state.creds.me = { id: ME };
    await b.saveCreds();
    await b.state.keys.set({
      'app-state-sync-key': { 'AAAA/1': { keyData: Buffer.from([7, 7]), timestamp: 5 } },
      session: { 'x:1@s.whatsapp.net': Buffer.from([4, 2]) },
    });

    const ours = await openAuthStore({ dir: theirs, log: recordingLog() });
    expect(ours.source).toBe('file');
    expect(identityKeyOf(ours.state.creds)).toBe(identityKeyOf(b.state.creds));
    const sync = (await ours.state.keys.get('app-state-sync-key', ['AAAA/1']))['AAAA/1'];
    expect(sync).toBeInstanceOf(proto.Message.AppStateSyncKeyData);
    expect(Buffer.from(sync!.keyData!)).toEqual(Buffer.from([7, 7]));
    const sess = (await ours.state.keys.get('session', ['x:1@s.whatsapp.net']))['x:1@s.whatsapp.net'];
    expect(Buffer.from(sess!)).toEqual(Buffer.from([4, 2]));

    const mine = path.join(root, 'mine');
    const { identityKey } = await makeLinkedDir(mine);
    const writer = await openAuthStore({ dir: mine, log: recordingLog() });
    await writer.state.keys.set({ 'pre-key': { '9': { public: Buffer.from('p'), private: Buffer.from('q') } } });
    const back = await useMultiFileAuthState(mine);
    expect(identityKeyOf(back.state.creds)).toBe(identityKey);
    expect(back.state.creds.me?.id).toBe(ME);
    const pk = (await back.state.keys.get('pre-key', ['9']))['9'];
    expect(Buffer.from(pk!.private).toString()).toBe('q');
    expect(JSON.parse(await readFile(path.join(mine, 'creds.json'), 'utf8')).me.id).toBe(ME);
  });
});
