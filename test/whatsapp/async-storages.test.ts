/**
 * The AsyncLocalStorage instances a connection creates (Baileys' key-transaction layer
 * builds one each time) are collected and disabled when the connection ends; outside a
 * collection nothing is recorded, and a disabled instance still works if used again.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { addTransactionCapability, DEFAULT_CONNECTION_CONFIG } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { asyncStorageCounts, collectAsyncStorages, disableAsyncStorages, disableWhileIdle } from '../../src/whatsapp/async-storages.js';
import { memoryKeys } from '../helpers/memory-keys.js';
import { silentLogger } from '../../src/log.js';

describe('collectAsyncStorages', () => {
  it("collects the instance Baileys' key-transaction layer creates (an ES-module import), and only inside the collection", async () => {
    const before = asyncStorageCounts();
    const { result: keys, storages } = collectAsyncStorages(() => addTransactionCapability(memoryKeys() as never, silentLogger() as never, DEFAULT_CONNECTION_CONFIG.transactionOpts));
    expect(storages).toHaveLength(1);
    expect(storages[0]).toBeInstanceOf(AsyncLocalStorage);
    new AsyncLocalStorage(); // outside: not recorded
    expect(asyncStorageCounts().created).toBe(before.created + 1);

    // The transaction layer works, is disabled, and still works afterwards (a late run enables it again).
    await keys.transaction(async () => keys.set({ 'pre-key': { '1': { public: Buffer.from([1]), private: Buffer.from([2]) } } }), 'k');
    disableAsyncStorages(storages);
    expect(storages).toHaveLength(0);
    expect(asyncStorageCounts().disabled).toBe(before.disabled + 1);
    await keys.transaction(async () => keys.set({ 'pre-key': { '2': { public: Buffer.from([3]), private: Buffer.from([4]) } } }), 'k');
    const got = await keys.get('pre-key', ['1', '2']);
    expect(Object.keys(got).sort()).toEqual(['1', '2']);
  });

  it('nests: an inner collection also counts for the outer one', () => {
    const outer = collectAsyncStorages(() => {
      new AsyncLocalStorage();
      return collectAsyncStorages(() => new AsyncLocalStorage()).storages;
    });
    expect(outer.result).toHaveLength(1);
    expect(outer.storages).toHaveLength(2);
    disableAsyncStorages(outer.storages);
  });

  it('disableWhileIdle: enabled only while a run is in flight; overlapping transactions keep their own context; a finished one is not seen by a continuation it left behind', async () => {
    const raw = memoryKeys();
    const { result: keys, storages } = collectAsyncStorages(() => addTransactionCapability(raw as never, silentLogger() as never, DEFAULT_CONNECTION_CONFIG.transactionOpts));
    disableWhileIdle(storages);
    // Node 20's own flag (the pinned runtime): whether the instance is on the list every new promise visits.
    const enabled = () => (storages[0] as unknown as { enabled: boolean }).enabled;
    expect(enabled()).toBe(false);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let leftBehind: Promise<boolean> | null = null;
    const a = keys.transaction(async () => {
      await keys.set({ 'pre-key': { a: { public: Buffer.from([1]), private: Buffer.from([1]) } } });
      await gate;
      expect(keys.isInTransaction()).toBe(true);
      // Not awaited: runs on after this transaction has committed.
      leftBehind = gate.then(() => new Promise<boolean>((r) => setImmediate(() => r(keys.isInTransaction()))));
      return 'a';
    }, 'ka');
    const b = keys.transaction(async () => {
      await keys.set({ 'pre-key': { b: { public: Buffer.from([2]), private: Buffer.from([2]) } } });
      expect(keys.isInTransaction()).toBe(true);
      return 'b';
    }, 'kb');
    expect(await b).toBe('b');
    expect(enabled()).toBe(true); // a is still running
    expect(raw.data.has('pre-key/a')).toBe(false); // a's write waits in its transaction
    release();
    expect(await a).toBe('a');
    await new Promise((r) => setImmediate(r));
    expect(enabled()).toBe(false);
    expect([...raw.data.keys()].sort()).toEqual(['pre-key/a', 'pre-key/b']);
    expect(await leftBehind!).toBe(false);
    expect(keys.isInTransaction()).toBe(false);
  });
});
