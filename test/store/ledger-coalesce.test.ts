/**
 * The inbound ledger's coalesced moves on the SQLite store (issue 12 item 5): the moves
 * of one entry asked within one group-commit transaction are written as one UPDATE
 * right before the commit; a caller waiting for the commit settles after it, reads see
 * the moves still pending, a failing statement fails only its own callers, and the
 * ledger's listeners hear every change in the order asked.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { InboundLedger, keyOf, type LedgerChange } from '../../src/ledger/inbound-ledger.js';
import type { LedgerKey, LedgerState } from '../../src/store/port.js';
import { ALICE, BOB, T0, dm } from '../access/harness.js';
import { arrival, sqliteWithReader } from './helpers/temp.js';

const keyOfId = (id: string): LedgerKey => ({ accountId: 'a', chatJid: 'c@s.whatsapp.net', messageId: id });

describe('SQLite: coalesced inbound ledger moves', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  const open = async () => {
    const { store, other } = await sqliteWithReader(cleanups);
    // Rows changed by the store's own connection so far: one per row an UPDATE changed.
    const db = (store as unknown as { db: Database.Database }).db;
    const changes = () => Number(db.prepare('SELECT total_changes()').pluck().get());
    const stateOutside = (id: string) =>
      other.prepare('SELECT state FROM inbound_ledger WHERE message_id = ?').pluck().get(id) as string | undefined;
    return { store, changes, stateOutside };
  };

  it('moves of one entry asked in one turn, in separate calls, are one UPDATE, merged field-wise in ask order', async () => {
    const { store, changes } = await open();
    await store.ledger.record([arrival('m1')]);
    const before = changes();
    const commits = store.writeCommits;
    const k = keyOfId('m1');
    const moves = [
      store.ledger.apply([{ op: 'update', key: k, fields: { state: 'accepted', at: 2 } }]),
      store.ledger.apply([{ op: 'update', key: k, fields: { state: 'running', requestId: 'in-r1', at: 3 } }]),
      store.ledger.apply([{ op: 'update', key: k, fields: { replyText: 'hi', reason: 'first', at: 4 } }]),
      store.ledger.apply([{ op: 'update', key: k, fields: { replyIds: ['O1'], reason: null, at: 5 } }]),
    ];
    const results = await Promise.all(moves);
    expect(results.map((r) => r[0])).toEqual(Array.from({ length: 4 }, () => ({ changed: true, key: k })));
    expect(changes() - before).toBe(1); // one row changed once: one statement
    expect(store.writeCommits - commits).toBe(1);
    expect(await store.ledger.get(k)).toMatchObject({ state: 'running', requestId: 'in-r1', replyText: 'hi', replyIds: ['O1'], reason: null, updatedAt: 5 });
  });

  it('a move not asked `applied` settles only once its commit is done (another connection sees it)', async () => {
    const { store, stateOutside } = await open();
    await store.ledger.record([arrival('m1')]);
    const k = keyOfId('m1');
    const seen = await Promise.all([
      store.ledger.apply([{ op: 'update', key: k, fields: { state: 'accepted', at: 2 } }]).then(() => stateOutside('m1')),
      store.ledger.apply([{ op: 'update', key: k, fields: { state: 'running', at: 3 } }]).then(() => stateOutside('m1')),
    ]);
    expect(seen).toEqual(['running', 'running']);
  });

  it('asked `applied`, a move of an entry known to exist settles at once; committed() waits for its statement', async () => {
    const { store, stateOutside } = await open();
    await store.ledger.record([arrival('m1')]);
    const k = keyOfId('m1');
    const results = await store.ledger.apply([{ op: 'update', key: k, fields: { state: 'accepted', at: 2 } }], { applied: true });
    expect(results).toEqual([{ changed: true, key: k }]);
    expect(stateOutside('m1')).toBe('received'); // not written yet
    await store.committed();
    expect(stateOutside('m1')).toBe('accepted');
    // an entry it does not know of is looked for at once: the answer is exact
    const none = keyOfId('nope');
    expect(await store.ledger.apply([{ op: 'update', key: none, fields: { state: 'accepted', at: 2 } }], { applied: true })).toEqual([
      { changed: false, key: none },
    ]);
  });

  it('reads see the moves still pending: get, list, counts, byRequest', async () => {
    const { store, stateOutside } = await open();
    await store.ledger.record([arrival('m1'), arrival('m2')]);
    const k = keyOfId('m1');
    void store.ledger.apply([{ op: 'update', key: k, fields: { state: 'running', requestId: 'in-r1', at: 2 } }], { applied: true });
    void store.ledger.apply([{ op: 'update', key: keyOfId('m2'), fields: { state: 'gated', reason: 'allowlist', at: 2 } }], { applied: true });
    const [entry, list, counts, byRequest] = await Promise.all([
      store.ledger.get(k),
      store.ledger.list({ states: ['running', 'gated'] }),
      store.ledger.counts('a'),
      store.ledger.byRequest('a', 'in-r1'),
    ]);
    expect(entry).toMatchObject({ state: 'running', requestId: 'in-r1' });
    expect(list.map((e) => [e.messageId, e.state])).toEqual([
      ['m1', 'running'],
      ['m2', 'gated'],
    ]);
    expect(counts).toMatchObject({ received: 0, running: 1, gated: 1 });
    expect(byRequest?.messageId).toBe('m1');
    await store.committed();
    expect([stateOutside('m1'), stateOutside('m2')]).toEqual(['running', 'gated']);
  });

  it('an arrival and a move by request id come after the moves asked before them', async () => {
    const { store } = await open();
    await store.ledger.record([arrival('m1')]);
    // a move of an entry not there yet changes nothing, even when its arrival follows in the same turn
    const [early, recorded] = await Promise.all([
      store.ledger.apply([{ op: 'update', key: keyOfId('m2'), fields: { state: 'accepted', at: 2 } }]),
      store.ledger.record([arrival('m2')]),
    ]);
    expect(early[0]!.changed).toBe(false);
    expect(recorded).toEqual([true]);
    expect((await store.ledger.get(keyOfId('m2')))?.state).toBe('received');
    // the request id written by a pending move is found by the move by request asked after it
    const [, byRequest] = await Promise.all([
      store.ledger.apply([{ op: 'update', key: keyOfId('m1'), fields: { state: 'running', requestId: 'in-r1', at: 3 } }], { applied: true }),
      store.ledger.apply([{ op: 'update-by-request', accountId: 'a', requestId: 'in-r1', fields: { state: 'replied', at: 4 } }]),
    ]);
    expect(byRequest).toEqual([{ changed: true, key: keyOfId('m1') }]);
    expect(await store.ledger.get(keyOfId('m1'))).toMatchObject({ state: 'replied', requestId: 'in-r1', updatedAt: 4 });
  });

  it("a failing statement fails only its entry's callers; the other moves of the turn commit", async () => {
    const { store, stateOutside } = await open();
    await store.ledger.record([arrival('m1'), arrival('m2')]);
    const results = await Promise.allSettled([
      store.ledger.apply([{ op: 'update', key: keyOfId('m1'), fields: { state: 'accepted', at: 2 } }]),
      store.ledger.apply([{ op: 'update', key: keyOfId('m2'), fields: { state: 'no-such-state' as LedgerState, at: 2 } }]), // the CHECK refuses it
      store.ledger.apply([{ op: 'update', key: keyOfId('m2'), fields: { replyText: 'x', at: 3 } }]), // merged with it: the same statement
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'WAGATE_ERR_STORE' });
    expect([stateOutside('m1'), stateOutside('m2')]).toEqual(['accepted', 'received']);
  });

  it('a move settled `applied` whose statement then fails makes committed() reject; the rest of the turn commits', async () => {
    const { store, stateOutside } = await open();
    await store.ledger.record([arrival('m1'), arrival('m2')]);
    const bad = await store.ledger.apply([{ op: 'update', key: keyOfId('m1'), fields: { state: 'no-such-state' as LedgerState, at: 2 } }], { applied: true });
    expect(bad).toEqual([{ changed: true, key: keyOfId('m1') }]); // settled before it ran
    const ok = store.ledger.apply([{ op: 'update', key: keyOfId('m2'), fields: { state: 'accepted', at: 2 } }]);
    await expect(store.committed()).rejects.toMatchObject({ code: 'WAGATE_ERR_STORE' });
    expect(await ok).toEqual([{ changed: true, key: keyOfId('m2') }]);
    expect([stateOutside('m1'), stateOutside('m2')]).toEqual(['received', 'accepted']);
    await expect(store.committed()).resolves.toBeUndefined(); // the next commit is not blamed
  });

  it('the ledger service: a DM’s moves in one turn are one statement; listeners hear every change in ask order', async () => {
    const { store, changes, stateOutside } = await open();
    const ledger = new InboundLedger(store, { now: () => T0 });
    const heard: LedgerChange[] = [];
    ledger.onCommit((c) => heard.push(...c));
    const a = dm(ALICE, 'one');
    const b = dm(BOB, 'two');
    const ka = keyOf('default', a);
    const kb = keyOf('default', b);
    const before = changes();
    const arrived = ledger.arrive('default', a);
    void ledger.move(ka, { state: 'accepted' });
    const arrivedB = ledger.arrive('default', b);
    void ledger.move(ka, { state: 'running', requestId: 'in-0123456789abcdef01234567' });
    void ledger.move(kb, { state: 'gated', reason: 'allowlist' });
    const replyIds = ledger.moveByRequest('default', 'in-0123456789abcdef01234567', { replyIds: ['O1'] }, { durable: true });
    expect(await Promise.all([arrived, arrivedB])).toEqual(['new', 'new']);
    expect(await replyIds).toBe(true);
    expect(stateOutside(a.id)).toBe('running'); // a durable move settles once committed
    await ledger.flush();
    expect(changes() - before).toBe(4); // two inserts, one UPDATE per entry
    expect(heard.map((c) => [c.key.messageId, c.state, c.reason])).toEqual([
      [a.id, 'received', null],
      [a.id, 'accepted', null],
      [b.id, 'received', null],
      [a.id, 'running', null],
      [b.id, 'gated', 'allowlist'],
    ]);
    expect(await store.ledger.get(ka)).toMatchObject({ state: 'running', replyIds: ['O1'] });
    expect(await store.ledger.get(kb)).toMatchObject({ state: 'gated', reason: 'allowlist' });
  });
});
