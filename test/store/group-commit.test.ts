/**
 * The SQLite store's group commit: the writes asked for in one turn of the event loop
 * commit in one transaction, each caller's promise settles only once that transaction
 * committed (another connection then sees the row) — or, asked with `applied`, as soon
 * as it ran, `committed()` waiting for the commit — a read sees every write asked for
 * before it, and a failing write fails only its own caller.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { LedgerState } from '../../src/store/port.js';
import { arrival, sqliteWithReader } from './helpers/temp.js';


describe('SQLite group commit', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  const open = async () => {
    const { store, other } = await sqliteWithReader(cleanups);
    const rowsSeenOutside = () => Number(other.prepare('SELECT COUNT(*) FROM handled_messages').pluck().get());
    return { store, rowsSeenOutside };
  };

  it('commits the writes of one turn together, and settles each only once another connection sees it', async () => {
    const { store, rowsSeenOutside } = await open();
    const before = store.writeCommits;
    const writes = [store.handled.add('a', 'k1', 1), store.handled.add('a', 'k2', 1), store.ledger.record([arrival('m1')])];
    expect(rowsSeenOutside()).toBe(0); // nothing is committed while the turn runs
    const settled = await Promise.all(writes.map((w) => w.then(() => rowsSeenOutside())));
    expect(settled).toEqual([2, 2, 2]);
    expect(store.writeCommits - before).toBe(1);

    // a later turn is another transaction
    await store.handled.add('a', 'k3', 1);
    expect(store.writeCommits - before).toBe(2);
    expect(rowsSeenOutside()).toBe(3);
  });

  it('a read sees a write asked for before it, even one nobody awaited', async () => {
    const { store } = await open();
    void store.handled.add('a', 'k1', 1);
    expect(await store.handled.has('a', 'k1')).toBe(true);
  });

  it('a failing write fails only its caller; the others of its turn commit', async () => {
    const { store } = await open();
    await store.ledger.record([arrival('m1')]);
    const key = { accountId: 'a', chatJid: 'c@s.whatsapp.net', messageId: 'm1' };
    const results = await Promise.allSettled([
      store.handled.add('a', 'k1', 1),
      store.ledger.update(key, { state: 'no-such-state' as LedgerState, at: 2 }), // the table's CHECK refuses it
      store.ledger.update(key, { state: 'accepted', at: 3 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'WAGATE_ERR_STORE' });
    expect(await store.handled.has('a', 'k1')).toBe(true);
    expect((await store.ledger.get(key))?.state).toBe('accepted');
  });

  it('a transaction(fn) and close() commit the pending writes first', async () => {
    const { store, rowsSeenOutside } = await open();
    const pending = store.handled.add('a', 'k1', 1);
    const seenInside = await store.transaction(async (tx) => tx.handled.has('a', 'k1'));
    expect(seenInside).toBe(true);
    await pending;
    const last = store.handled.add('a', 'k2', 1);
    await store.close();
    await expect(last).resolves.toBe(true);
    expect(rowsSeenOutside()).toBe(2);
  });

  it('an `applied` write settles with its result before the commit; committed() waits for it', async () => {
    const { store, rowsSeenOutside } = await open();
    const before = store.writeCommits;
    const [first] = await store.ledger.apply([{ op: 'record', arrival: arrival('m1') }], { applied: true });
    expect(first).toEqual({ changed: true, key: { accountId: 'a', chatJid: 'c@s.whatsapp.net', messageId: 'm1' } });
    const [again] = await store.ledger.apply([{ op: 'record', arrival: arrival('m1') }], { applied: true });
    expect(again!.changed).toBe(false); // the duplicate is known at once, in the same turn
    expect(store.writeCommits).toBe(before); // not committed yet
    expect(Number(new Database(store.location, { readonly: true }).prepare('SELECT COUNT(*) FROM inbound_ledger').pluck().get())).toBe(0);
    await store.committed();
    expect(store.writeCommits - before).toBe(1);
    expect(rowsSeenOutside()).toBe(0);
    await expect(store.committed()).resolves.toBeUndefined(); // nothing open: at once
  });

  it('a plain write settling means every write asked for before it, `applied` ones too, is committed', async () => {
    const { store, rowsSeenOutside } = await open();
    await store.sessions.append('s', [{ role: 'user', text: 'hi', at: 1, meta: null }], { applied: true });
    await store.handled.add('a', 'k1', 1);
    expect(rowsSeenOutside()).toBe(1);
    const outside = new Database(store.location, { readonly: true });
    expect(Number(outside.prepare('SELECT COUNT(*) FROM session_turns').pluck().get())).toBe(1);
    outside.close();
  });

  it('writes asked for while transaction(fn) holds the connection wait for it and keep their order', async () => {
    const { store } = await open();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const tx = store.transaction(async (t) => {
      await held;
      await t.handled.add('a', 'in-tx', 1);
    });
    await new Promise((r) => setImmediate(r)); // the transaction has the connection
    const order: string[] = [];
    const a = store.ledger.record([arrival('m1')]).then(() => order.push('record'));
    const b = store.ledger
      .update({ accountId: 'a', chatJid: 'c@s.whatsapp.net', messageId: 'm1' }, { state: 'accepted', at: 2 })
      .then((changed) => order.push(`update ${changed}`));
    release();
    await Promise.all([tx, a, b]);
    expect(order).toEqual(['record', 'update true']); // the update ran after the record it needs
    expect(await store.handled.has('a', 'in-tx')).toBe(true);
  });

  it('a durable write commits the open plain transaction first (synchronous=FULL only from BEGIN)', async () => {
    const { store, rowsSeenOutside } = await open();
    const before = store.writeCommits;
    const plain = store.handled.add('a', 'k1', 1);
    const durable = store.creds.save('acc', '{"me":{"id":"1@s.whatsapp.net"}}');
    await Promise.all([plain, durable]);
    expect(store.writeCommits - before).toBe(2);
    expect(rowsSeenOutside()).toBe(1);
  });
});
