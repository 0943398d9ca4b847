/**
 * The one-time import of an old Baileys auth dir into the store (src/whatsapp/auth-import.ts):
 * creds with the .bak rule, every key file under its real id, one transaction, the files
 * moved aside (never deleted), and never twice.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { proto, useMultiFileAuthState } from '@whiskeysockets/baileys';
import { afterEach, describe, expect, it } from 'vitest';
import { isWagateError } from '../../src/errors.js';
import { importAuthDir, parseKeyFileName } from '../../src/whatsapp/auth-import.js';
import { IMPORTED_SUFFIX } from '../../src/store/moved-aside.js';
import { keyFileName } from '../../src/whatsapp/auth-layout.js';
import { storedCredsLinked, useStoreAuthState } from '../../src/whatsapp/store-auth-state.js';
import { tempSqliteStore } from '../store/helpers/temp.js';
import { tmpDir } from '../helpers/tmp.js';
import { identityKeyOf, makeLinkedDir, ME, recordingLog } from './helpers/auth-fixtures.js';

const handles: Array<{ cleanup(): Promise<void> }> = [];
afterEach(async () => {
  for (const h of handles.splice(0)) await h.cleanup();
});

async function setup() {
  const h = await tempSqliteStore();
  handles.push(h);
  const root = tmpDir('import');
  return { store: h.store, root, dir: path.join(root, 'credentials', 'whatsapp', 'default'), log: recordingLog() };
}

const AT = new Date(2026, 2, 7, 12).getTime(); // → .imported-20260307

describe('key file names back to their ids', () => {
  it('every key type, with the ids Baileys 7 uses, round-trips through its file name', () => {
    const cases: Array<[string, string]> = [
      ['pre-key', '17'],
      ['session', '15551112222_1.0'],
      ['sender-key', '120363000000000001@g.us::15551112222_1::0'],
      ['sender-key', '1234-5678@g.us::15551112222::3'],
      ['sender-key-memory', '1234-5678@g.us'],
      ['app-state-sync-key', 'AAAA/b+c=='],
      ['app-state-sync-version', 'regular_high'],
      ['lid-mapping', '15551112222'],
      ['lid-mapping', '123456789_reverse'],
      ['device-list', '15551112222'],
      ['tctoken', '__index'],
      ['tctoken', '123456789@lid'],
      ['identity-key', '15551112222_1.0'],
    ];
    for (const [type, id] of cases) expect(parseKeyFileName(keyFileName(type, id))).toEqual({ type, id });
    expect(parseKeyFileName('creds.json')).toBeUndefined();
    expect(parseKeyFileName('oauth.json')).toBeUndefined();
    expect(parseKeyFileName('session-1.0.json.bak')).toBeUndefined();
  });
});

describe('importing an auth dir written by Baileys useMultiFileAuthState', () => {
  it('imports creds and every key in one go, moves the Baileys files aside, keeps the others, logs what it did', async () => {
    const { store, dir, log } = await setup();
    const b = await useMultiFileAuthState(dir);
    b.state.creds.me = { id: ME };
    await b.saveCreds();
    await b.saveCreds(); // Baileys writes no .bak: there is none to import
    await b.state.keys.set({
      'pre-key': { '1': { public: Buffer.from('p1'), private: Buffer.from('q1') } },
      'app-state-sync-key': { 'AAAA/1': { keyData: Buffer.from([7, 7]), timestamp: 5 } as never },
      session: { '15551112222_1.0': Buffer.from([4, 2]) },
      'sender-key': { '120363000000000001@g.us::15551112222_1::0': Buffer.from([9]) },
      tctoken: { __index: Buffer.from('[]') as never },
    });
    await writeFile(path.join(dir, 'oauth.json'), '{}');

    const r = await importAuthDir({ store, accountId: 'default', dir, log, now: () => AT });
    const moved = `${dir}${IMPORTED_SUFFIX}20260307`;
    expect(r).toEqual({ imported: true, from: 'creds.json', keys: 5, skipped: 0, movedTo: moved });
    expect(log.infos[0]!.msg).toContain(`imported the WhatsApp auth files of ${dir}`);
    expect(JSON.stringify(log.infos)).not.toContain('private');

    expect(await storedCredsLinked(store, 'default')).toEqual({ linked: true, meId: ME });
    const auth = await useStoreAuthState({ store, accountId: 'default', log });
    expect(identityKeyOf(auth.state.creds)).toBe(identityKeyOf(b.state.creds));
    const sync = (await auth.state.keys.get('app-state-sync-key', ['AAAA/1']))['AAAA/1'];
    expect(sync).toBeInstanceOf(proto.Message.AppStateSyncKeyData);
    expect(Buffer.from(sync!.keyData!)).toEqual(Buffer.from([7, 7]));
    expect(Buffer.from((await auth.state.keys.get('session', ['15551112222_1.0']))['15551112222_1.0']!)).toEqual(Buffer.from([4, 2]));
    const sk = '120363000000000001@g.us::15551112222_1::0';
    expect((await auth.state.keys.get('sender-key', [sk]))[sk]).toBeTruthy();
    expect(Buffer.from((await auth.state.keys.get('pre-key', ['1']))['1']!.private).toString()).toBe('q1');
    expect(await store.keys.count('default')).toEqual({ 'app-state-sync-key': 1, 'pre-key': 1, 'sender-key': 1, session: 1, tctoken: 1 });

    // The Baileys files moved (not deleted); oauth.json stayed where it was.
    expect(await readdir(dir)).toEqual(['oauth.json']);
    expect((await readdir(moved)).sort()).toEqual([
      'app-state-sync-key-AAAA__1.json',
      'creds.json',
      'pre-key-1.json',
      'sender-key-120363000000000001@g.us--15551112222_1--0.json',
      'session-15551112222_1.0.json',
      'tctoken-__index.json',
    ]);
    expect(await readdir(path.dirname(dir))).toEqual(['default', `default${IMPORTED_SUFFIX}20260307`]);
  });

  it('never twice: the store has creds (a second run, or after a logout nothing comes back)', async () => {
    const { store, dir, log } = await setup();
    await makeLinkedDir(dir);
    expect((await importAuthDir({ store, accountId: 'default', dir, log, now: () => AT })).imported).toBe(true);
    // An emptied auth dir is removed; a copy put back later is not imported over the store's creds.
    await expect(readdir(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    await makeLinkedDir(dir, '15550009999:1@s.whatsapp.net');
    expect(await importAuthDir({ store, accountId: 'default', dir, log, now: () => AT })).toMatchObject({ imported: false });
    expect((await storedCredsLinked(store, 'default')).meId).toBe(ME);
    // After a logout the moved files are not found again: a second dir name is used for the next import.
    await store.creds.remove('default');
    const r = await importAuthDir({ store, accountId: 'default', dir, log, now: () => AT });
    expect(r.movedTo).toBe(`${dir}${IMPORTED_SUFFIX}20260307-2`);
    expect((await storedCredsLinked(store, 'default')).meId).toBe('15550009999:1@s.whatsapp.net');
  });

  it('nothing to import: no dir, or a dir without creds', async () => {
    const { store, dir, log } = await setup();
    expect(await importAuthDir({ store, accountId: 'default', dir, log })).toEqual({ imported: false, keys: 0, skipped: 0 });
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'pre-key-1.json'), '{}');
    expect((await importAuthDir({ store, accountId: 'default', dir, log })).imported).toBe(false);
    expect(await store.creds.accounts()).toEqual([]);
    expect(await readdir(dir)).toEqual(['pre-key-1.json']);
  });
});

describe('the creds backup rule at import', () => {
  it('creds.json and creds.json.bak: both imported, the .bak as the earlier copy', async () => {
    const { store, dir, log } = await setup();
    await makeLinkedDir(dir);
    const bak = await readFile(path.join(dir, 'creds.json.bak'), 'utf8');
    await importAuthDir({ store, accountId: 'default', dir, log });
    expect((await store.creds.load('default'))?.previous).toBe(bak);
  });

  it('an unparsable creds.json with a good .bak imports the .bak, with a warning that quotes nothing', async () => {
    const { store, dir, log } = await setup();
    await makeLinkedDir(dir);
    await writeFile(path.join(dir, 'creds.json'), '{"torn secret');
    const r = await importAuthDir({ store, accountId: 'default', dir, log });
    expect(r).toMatchObject({ imported: true, from: 'creds.json.bak' });
    expect((await storedCredsLinked(store, 'default')).meId).toBe(ME);
    expect(log.warnings.map((w) => w.msg)).toEqual(['creds.json is corrupt; importing creds.json.bak']);
    expect(JSON.stringify(log.warnings)).not.toContain('secret');
  });

  it.each([
    ['an unparsable creds.json and no .bak', async (dir: string) => writeFile(path.join(dir, 'creds.json'), '{"torn')],
    ['an empty creds.json and an unparsable .bak', async (dir: string) => {
      await writeFile(path.join(dir, 'creds.json'), '');
      await writeFile(path.join(dir, 'creds.json.bak'), 'nope');
    }],
    ['a creds.json that is a directory (EISDIR)', async (dir: string) => mkdir(path.join(dir, 'creds.json'))],
  ])('%s is WAGATE_ERR_CREDS, never "not linked"; nothing is imported or moved', async (_what, damage) => {
    const { store, dir, log } = await setup();
    await mkdir(dir, { recursive: true });
    await damage(dir);
    const err = await importAuthDir({ store, accountId: 'default', dir, log }).catch((e: unknown) => e);
    expect(isWagateError(err) && err.code).toBe('WAGATE_ERR_CREDS');
    expect(await store.creds.accounts()).toEqual([]);
    expect((await readdir(dir)).length).toBeGreaterThan(0);
  });

  it('an unparsable key file is skipped with a warning naming the file; the rest is imported', async () => {
    const { store, dir, log } = await setup();
    await makeLinkedDir(dir);
    await writeFile(path.join(dir, 'session-1.0.json'), '{"torn');
    await writeFile(path.join(dir, 'pre-key-2.json'), '{"public":"x"}');
    const r = await importAuthDir({ store, accountId: 'default', dir, log });
    expect(r).toMatchObject({ imported: true, keys: 1, skipped: 1 });
    expect(log.warnings).toEqual([{ obj: expect.objectContaining({ file: 'session-1.0.json' }), msg: 'not importing an unparsable key file' }]);
  });
});
