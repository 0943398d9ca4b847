/**
 * Baileys' auth state on the store (src/whatsapp/store-auth-state.ts), in process:
 * creds round-trips and the backup rule, every key type revived as Baileys expects,
 * and a Baileys key transaction committed as one store transaction.
 */
import { addTransactionCapability, type SignalDataSet, type SignalDataTypeMap } from '@whiskeysockets/baileys';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Store } from '../../src/store/port.js';
import { KEY_TYPES } from '../../src/whatsapp/auth-layout.js';
import { proto } from '../../src/whatsapp/baileys-auth.js';
import { keyWrites, storedCredsLinked, useStoreAuthState } from '../../src/whatsapp/store-auth-state.js';
import { tempSqliteStore } from './helpers/temp.js';
import type { StoreHandle } from './contract.js';

interface Warning {
  obj: object;
  msg: string;
}
function recordingLog(): { warnings: Warning[]; warn: (obj: object, msg: string) => void } {
  const warnings: Warning[] = [];
  return { warnings, warn: (obj, msg) => void warnings.push({ obj, msg }) };
}

const ACCOUNT = 'default';
let h: StoreHandle;
let store: Store;
beforeEach(async () => {
  h = await tempSqliteStore();
  store = h.store;
});
afterEach(async () => {
  await h.cleanup();
});

const bytes = (...b: number[]) => Buffer.from(b);

/** One value of every key type Baileys 7 stores (KEY_TYPES). */
const SAMPLES: { [T in keyof SignalDataTypeMap]: SignalDataTypeMap[T] } = {
  'pre-key': { public: bytes(1, 2, 3), private: bytes(4, 5, 6) },
  session: bytes(7, 8, 9),
  'sender-key': bytes(10, 11),
  'sender-key-memory': { '15551234567@s.whatsapp.net': true, '1@lid': false },
  'app-state-sync-key': proto.Message.AppStateSyncKeyData.fromObject({
    keyData: bytes(12, 13, 14),
    fingerprint: { rawId: 7, currentIndex: 2, deviceIndexes: [0, 1] },
    timestamp: 1700000000,
  }),
  'app-state-sync-version': { version: 3, hash: bytes(15, 16), indexValueMap: { abc: { valueMac: bytes(17) } } },
  'lid-mapping': '123456789',
  'device-list': ['0', '1', '23'],
  tctoken: { token: bytes(18, 19), timestamp: '1700000000' },
  'identity-key': bytes(20, 21, 22),
};

/** Compare with Buffers and Uint8Arrays as plain byte arrays. */
function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array || (x as { type?: string })?.type === 'Buffer' ? [...Buffer.from(x as Uint8Array)] : x)));
}

describe('creds', () => {
  it('are fresh for an account the store does not know, and nothing is written until saveCreds', async () => {
    const auth = await useStoreAuthState({ store, accountId: ACCOUNT, log: recordingLog() });
    expect(auth.source).toBe('fresh');
    expect(typeof auth.state.creds.registrationId).toBe('number');
    expect(await store.creds.load(ACCOUNT)).toBeUndefined();
    expect(await storedCredsLinked(store, ACCOUNT)).toEqual({ linked: false });
  });

  it('saved, are loaded back with their binary fields as Buffers, after a restart', async () => {
    const a = await useStoreAuthState({ store, accountId: ACCOUNT, log: recordingLog() });
    a.state.creds.me = { id: '15550001111:7@s.whatsapp.net', name: 'Me' };
    await a.saveCreds();
    store = await h.reopen();
    const b = await useStoreAuthState({ store, accountId: ACCOUNT, log: recordingLog() });
    expect(b.source).toBe('store');
    expect(Buffer.isBuffer(b.state.creds.signedIdentityKey.public)).toBe(true);
    expect(plain(b.state.creds)).toEqual(plain(a.state.creds));
    expect(await storedCredsLinked(store, ACCOUNT)).toEqual({ linked: true, meId: '15550001111:7@s.whatsapp.net' });
  });

  it('that do not parse fall back to the copy saved before them, with a warning that quotes nothing', async () => {
    const a = await useStoreAuthState({ store, accountId: ACCOUNT, log: recordingLog() });
    await a.saveCreds();
    await store.creds.save(ACCOUNT, '{"torn":');
    const log = recordingLog();
    const b = await useStoreAuthState({ store, accountId: ACCOUNT, log });
    expect(b.source).toBe('previous');
    expect(plain(b.state.creds.noiseKey)).toEqual(plain(a.state.creds.noiseKey));
    expect(log.warnings).toHaveLength(1);
    expect(JSON.stringify(log.warnings)).not.toContain('torn');
  });

  it('with no good copy are WAGATE_ERR_CREDS, never fresh (not linked)', async () => {
    await store.creds.save(ACCOUNT, '{}');
    await expect(useStoreAuthState({ store, accountId: ACCOUNT, log: recordingLog() })).rejects.toMatchObject({
      code: 'WAGATE_ERR_CREDS',
      message: expect.stringMatching(/no earlier copy.*channels logout --account default/),
    });
    await store.creds.save(ACCOUNT, 'not json');
    await expect(useStoreAuthState({ store, accountId: ACCOUNT, log: recordingLog() })).rejects.toMatchObject({
      code: 'WAGATE_ERR_CREDS',
      message: expect.stringMatching(/neither is the copy saved before them/),
    });
    await expect(storedCredsLinked(store, ACCOUNT)).rejects.toMatchObject({ code: 'WAGATE_ERR_CREDS' });
  });

  it('a store that cannot be read is WAGATE_ERR_STORE, never fresh creds', async () => {
    await store.close();
    await expect(useStoreAuthState({ store, accountId: ACCOUNT, log: recordingLog() })).rejects.toMatchObject({
      code: 'WAGATE_ERR_STORE',
    });
    store = await h.reopen();
  });
});

describe('keys', () => {
  it('every key type Baileys uses round-trips, app-state-sync-key as its protobuf class', async () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...KEY_TYPES].sort());
    const a = await useStoreAuthState({ store, accountId: ACCOUNT, log: recordingLog() });
    const data: SignalDataSet = {};
    for (const type of KEY_TYPES) (data as Record<string, unknown>)[type] = { 'id:1/x': SAMPLES[type] };
    await a.state.keys.set(data);
    store = await h.reopen();
    const b = await useStoreAuthState({ store, accountId: ACCOUNT, log: recordingLog() });
    for (const type of KEY_TYPES) {
      const got = await b.state.keys.get(type, ['id:1/x', 'absent']);
      expect(got.absent, type).toBeNull();
      expect(plain(got['id:1/x']), type).toEqual(plain(SAMPLES[type]));
    }
    const sync = (await b.state.keys.get('app-state-sync-key', ['id:1/x']))['id:1/x'];
    expect(sync).toBeInstanceOf(proto.Message.AppStateSyncKeyData);
    expect(Buffer.from(sync!.keyData!)).toEqual(bytes(12, 13, 14));
    const session = (await b.state.keys.get('session', ['id:1/x']))['id:1/x'];
    expect(Buffer.isBuffer(session)).toBe(true);
  });

  it('null deletes, and clear() removes every key of the account only', async () => {
    const a = await useStoreAuthState({ store, accountId: ACCOUNT, log: recordingLog() });
    const other = await useStoreAuthState({ store, accountId: 'other', log: recordingLog() });
    await a.state.keys.set({ session: { s1: bytes(1), s2: bytes(2) } });
    await other.state.keys.set({ session: { s1: bytes(9) } });
    await a.state.keys.set({ session: { s1: null } });
    expect(await a.state.keys.get('session', ['s1', 's2'])).toEqual({ s1: null, s2: bytes(2) });
    await a.state.keys.clear!();
    expect(await a.state.keys.get('session', ['s2'])).toEqual({ s2: null });
    expect(await other.state.keys.get('session', ['s1'])).toEqual({ s1: bytes(9) });
  });

  it('an unparsable stored key is skipped with a warning naming its type and id, not its value', async () => {
    await store.keys.set(ACCOUNT, [{ type: 'session', id: 'bad', value: '{"secret' }]);
    const log = recordingLog();
    const a = await useStoreAuthState({ store, accountId: ACCOUNT, log });
    expect(await a.state.keys.get('session', ['bad'])).toEqual({ bad: null });
    expect(log.warnings).toEqual([{ obj: { accountId: ACCOUNT, type: 'session', id: 'bad' }, msg: expect.any(String) }]);
  });

  it('a set of many keys of many types is one store call (one transaction)', async () => {
    const a = await useStoreAuthState({ store, accountId: ACCOUNT, log: recordingLog() });
    const spy = vi.spyOn(store.keys, 'set');
    await a.state.keys.set({
      'pre-key': Object.fromEntries(Array.from({ length: 30 }, (_, i) => [String(i), SAMPLES['pre-key']])),
      session: { s1: bytes(1), gone: null },
      'sender-key-memory': { g: { j: true } },
    });
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls[0]![1]).toHaveLength(33);
  });

  it("under Baileys' addTransactionCapability: a key transaction commits with one set, and one that throws writes nothing", async () => {
    const a = await useStoreAuthState({ store, accountId: ACCOUNT, log: recordingLog() });
    const keys = addTransactionCapability(a.state.keys, pino({ level: 'silent' }), { maxCommitRetries: 1, delayBetweenTriesMs: 1 });
    const spy = vi.spyOn(store.keys, 'set');
    await keys.transaction(async () => {
      await keys.set({ session: { s1: bytes(1) } });
      await keys.set({ 'pre-key': { '1': SAMPLES['pre-key'], '2': SAMPLES['pre-key'] } });
      await keys.set({ 'sender-key': { k: bytes(3) } });
    }, 'tx-ok');
    expect(spy).toHaveBeenCalledTimes(1);
    expect((await a.state.keys.get('pre-key', ['1', '2']))['2']).not.toBeNull();

    await expect(
      keys.transaction(async () => {
        await keys.set({ session: { s1: null, s2: bytes(2) } });
        await keys.set({ 'sender-key': { k: bytes(4) } });
        throw new Error('decrypt failed');
      }, 'tx-bad'),
    ).rejects.toThrow('decrypt failed');
    expect(await a.state.keys.get('session', ['s1', 's2'])).toEqual({ s1: bytes(1), s2: null });
    expect(await a.state.keys.get('sender-key', ['k'])).toEqual({ k: bytes(3) });
  });

  it('keyWrites serializes with BufferJSON and maps null and undefined to deletions', () => {
    expect(keyWrites({ session: { a: bytes(1), b: null }, 'lid-mapping': { c: undefined as unknown as string } })).toEqual([
      { type: 'session', id: 'a', value: JSON.stringify({ type: 'Buffer', data: 'AQ==' }) },
      { type: 'session', id: 'b', value: null },
      { type: 'lid-mapping', id: 'c', value: null },
    ]);
  });
});
