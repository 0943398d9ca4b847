import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { isWagateError } from '../../src/errors.js';
import { parseCreds } from '../../src/whatsapp/auth-creds.js';
import { BufferJSON } from '../../src/whatsapp/baileys-auth.js';
import { openAuthStore, type AuthStore } from '../../src/whatsapp/auth-store.js';
import { tmpDir } from '../helpers/tmp.js';
import { makeLinkedDir, modeOf, recordingLog } from './helpers/auth-fixtures.js';

let dir: string;
beforeEach(() => {
  dir = path.join(tmpDir('auth'), 'auth');
});

function setCounter(store: AuthStore, n: number): void {
  store.state.creds.additionalData = { counter: n };
}

async function counterIn(file: string): Promise<number | undefined> {
  const creds = parseCreds(await readFile(file, 'utf8'));
  return (creds?.additionalData as { counter?: number } | undefined)?.counter;
}

describe('creds.json.bak rotation', () => {
  it('copies the previous creds.json to .bak before each save (0600)', async () => {
    const store = await openAuthStore({ dir, log: recordingLog() });
    const credsFile = path.join(dir, 'creds.json');
    const bakFile = path.join(dir, 'creds.json.bak');
    for (let n = 1; n <= 3; n++) {
      setCounter(store, n);
      await store.saveCreds();
      expect(await counterIn(credsFile)).toBe(n);
      if (n > 1) expect(await counterIn(bakFile)).toBe(n - 1);
    }
    expect(await modeOf(bakFile)).toBe(0o600);
    expect(await modeOf(credsFile)).toBe(0o600);
  });

  it('a corrupt creds.json never overwrites a good .bak', async () => {
    await makeLinkedDir(dir);
    const store = await openAuthStore({ dir, log: recordingLog() });
    const bakFile = path.join(dir, 'creds.json.bak');
    const goodBak = await readFile(bakFile, 'utf8');
    await writeFile(path.join(dir, 'creds.json'), '{"torn":');
    setCounter(store, 42);
    await store.saveCreds();
    expect(await readFile(bakFile, 'utf8')).toBe(goodBak);
    expect(await counterIn(path.join(dir, 'creds.json'))).toBe(42);
  });

  it('saves the creds as they were when saveCreds() was called', async () => {
    const store = await openAuthStore({ dir, log: recordingLog() });
    setCounter(store, 1);
    const saving = store.saveCreds();
    setCounter(store, 2);
    await saving;
    expect(await counterIn(path.join(dir, 'creds.json'))).toBe(1);
  });

  it('a save whose creds.json became a directory rejects with WAGATE_ERR_CREDS', async () => {
    const store = await openAuthStore({ dir, log: recordingLog() });
    await mkdir(path.join(dir, 'creds.json'));
    const err = await store.saveCreds().catch((e: unknown) => e);
    expect(isWagateError(err) && err.code).toBe('WAGATE_ERR_CREDS');
    await rm(path.join(dir, 'creds.json'), { recursive: true });
    await store.saveCreds(); // the queue goes on after a failure
    expect(await counterIn(path.join(dir, 'creds.json'))).toBeUndefined();
    expect(parseCreds(await readFile(path.join(dir, 'creds.json'), 'utf8'))).toBeDefined();
  });
});

describe('concurrent saves', () => {
  it('never interleave: 40 saves fired at once leave creds = last, .bak = second to last', async () => {
    const store = await openAuthStore({ dir, log: recordingLog() });
    const saves: Array<Promise<void>> = [];
    for (let n = 1; n <= 40; n++) {
      setCounter(store, n);
      saves.push(store.saveCreds());
    }
    await Promise.all(saves);
    // Unserialized, every save would read the same old creds.json and the .bak
    // would end up far behind; serialized, each save backs up its predecessor.
    expect(await counterIn(path.join(dir, 'creds.json'))).toBe(40);
    expect(await counterIn(path.join(dir, 'creds.json.bak'))).toBe(39);
    expect((await readdir(dir)).sort()).toEqual(['creds.json', 'creds.json.bak']);
  });

  it('two stores on the same directory share one queue', async () => {
    const a = await openAuthStore({ dir, log: recordingLog() });
    const b = await openAuthStore({ dir: `${dir}/./`, log: recordingLog() });
    const saves: Array<Promise<void>> = [];
    for (let n = 1; n <= 20; n++) {
      const s = n % 2 ? a : b;
      setCounter(s, n);
      saves.push(s.saveCreds());
    }
    await Promise.all(saves);
    expect(await counterIn(path.join(dir, 'creds.json'))).toBe(20);
    expect(await counterIn(path.join(dir, 'creds.json.bak'))).toBe(19);
  });
});

describe('signal keys', () => {
  it('round-trips keys with Baileys file names, 0600, and null deletes', async () => {
    const store = await openAuthStore({ dir, log: recordingLog() });
    const id = '15550001111:7@s.whatsapp.net/0';
    await store.state.keys.set({
      session: { [id]: Buffer.from([1, 2, 3]) },
      'pre-key': { '5': { public: Buffer.from('pub'), private: Buffer.from('priv') } },
      'lid-mapping': { '15550001111': '987654321@lid' },
    });
    const file = path.join(dir, 'session-15550001111-7@s.whatsapp.net__0.json');
    expect(await modeOf(file)).toBe(0o600);
    expect(await modeOf(path.join(dir, 'pre-key-5.json'))).toBe(0o600);

    const sessions = await store.state.keys.get('session', [id, 'nobody']);
    expect(Buffer.from(sessions[id]!)).toEqual(Buffer.from([1, 2, 3]));
    expect(sessions['nobody']).toBeNull();
    const preKeys = await store.state.keys.get('pre-key', ['5']);
    expect(Buffer.from(preKeys['5']!.private).toString()).toBe('priv');
    expect((await store.state.keys.get('lid-mapping', ['15550001111']))['15550001111']).toBe(
      '987654321@lid',
    );

    await store.state.keys.set({ 'pre-key': { '5': null } });
    expect((await readdir(dir)).sort()).toEqual([
      'lid-mapping-15550001111.json',
      'session-15550001111-7@s.whatsapp.net__0.json',
    ]);
  });

  it('reads its own writes: get after an unawaited set sees the new value', async () => {
    const store = await openAuthStore({ dir, log: recordingLog() });
    void store.state.keys.set({ 'device-list': { u1: ['0', '3'] } });
    expect((await store.state.keys.get('device-list', ['u1']))['u1']).toEqual(['0', '3']);
  });

  it('keys without a file are answered from the listing made at open, without a read; files from before the open are read', async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'tctoken-15550001111@s.whatsapp.net.json'), JSON.stringify({ token: 'abc' }));
    const store = await openAuthStore({ dir, log: recordingLog() });
    // A file that appears behind the store's back is not read: absent keys cost no I/O.
    await writeFile(path.join(dir, 'session-ghost.json'), JSON.stringify({ not: 'read' }));
    expect((await store.state.keys.get('session', ['ghost']))['ghost']).toBeNull();
    const got = await store.state.keys.get('tctoken', ['15550001111@s.whatsapp.net', '15550002222@s.whatsapp.net']);
    expect(got['15550001111@s.whatsapp.net']).toEqual({ token: 'abc' });
    expect(got['15550002222@s.whatsapp.net']).toBeNull();
    await store.state.keys.set({ tctoken: { '15550002222@s.whatsapp.net': { token: Buffer.from('t2') } }, 'pre-key': { '9': null } });
    expect(Buffer.from((await store.state.keys.get('tctoken', ['15550002222@s.whatsapp.net']))['15550002222@s.whatsapp.net']!.token).toString()).toBe('t2');
    await store.state.keys.set({ tctoken: { '15550001111@s.whatsapp.net': null } });
    expect((await store.state.keys.get('tctoken', ['15550001111@s.whatsapp.net']))['15550001111@s.whatsapp.net']).toBeNull();
    // a store opened afterwards lists the directory again and reads what is there
    const again = await openAuthStore({ dir, log: recordingLog() });
    expect((await again.state.keys.get('session', ['ghost']))['ghost']).toEqual({ not: 'read' });
    expect(Buffer.from((await again.state.keys.get('tctoken', ['15550002222@s.whatsapp.net']))['15550002222@s.whatsapp.net']!.token).toString()).toBe('t2');
  });

  it('writes of one key fired together are applied in order: the last value stays, and each caller resolves once its value is on disk', async () => {
    const store = await openAuthStore({ dir, log: recordingLog() });
    const file = path.join(dir, 'session-burst.json');
    const sets = [1, 2, 3, 4, 5].map((n) => store.state.keys.set({ session: { burst: Buffer.from([n]) } }));
    const valueOnDisk = async () => Buffer.from(JSON.parse(await readFile(file, 'utf8'), BufferJSON.reviver) as Uint8Array)[0]!;
    const seen = await Promise.all(sets.map((p) => Promise.resolve(p).then(valueOnDisk)));
    // when a caller's write resolves, its own value or a newer one is on disk
    seen.forEach((v, i) => expect(v).toBeGreaterThanOrEqual(i + 1));
    expect(Buffer.from((await store.state.keys.get('session', ['burst']))['burst']!)).toEqual(Buffer.from([5]));
    const reopened = await openAuthStore({ dir, log: recordingLog() });
    expect(Buffer.from((await reopened.state.keys.get('session', ['burst']))['burst']!)).toEqual(Buffer.from([5]));

    // a removal after a write, fired together: the file is gone
    void store.state.keys.set({ session: { gone: Buffer.from([1]) } });
    await store.state.keys.set({ session: { gone: null } });
    await store.flush();
    expect((await readdir(dir)).filter((n) => n.startsWith('session-gone'))).toEqual([]);
  });

  it('an unparsable key file reads as null with a warning naming the file only', async () => {
    const store = await openAuthStore({ dir, log: recordingLog() });
    await writeFile(path.join(dir, 'session-x.json'), '{"secret-ish');
    const log = recordingLog();
    const store2 = await openAuthStore({ dir: store.dir, log }); // lists the key files anew
    expect((await store2.state.keys.get('session', ['x']))['x']).toBeNull();
    expect(log.warnings).toEqual([
      { obj: { dir, file: 'session-x.json', type: 'session' }, msg: 'ignoring an unparsable key file' },
    ]);
  });

  it('a key file that cannot be read (a directory) rejects with WAGATE_ERR_CREDS', async () => {
    await mkdir(dir, { recursive: true });
    await mkdir(path.join(dir, 'session-x.json'));
    const store = await openAuthStore({ dir, log: recordingLog() });
    const err = await Promise.resolve(store.state.keys.get('session', ['x'])).catch((e: unknown) => e);
    expect(isWagateError(err) && err.code).toBe('WAGATE_ERR_CREDS');
  });
});
