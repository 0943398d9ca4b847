/**
 * The store contract: what every `Store` implementation must do, as a suite any
 * implementation runs with its own factory (`storeContract('sqlite', makeSqlite)`;
 * PostgreSQL will run the same). Each test gets a fresh, empty store.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../src/store/migrations.js';
import type { KeyWrite, LedgerArrival, LedgerKey, Store } from '../../src/store/port.js';

export interface StoreHandle {
  store: Store;
  /** Close this store and open the same database again (a restart). */
  reopen(): Promise<Store>;
  /** Close whatever is open and remove the database. */
  cleanup(): Promise<void>;
}

export type MakeStore = () => Promise<StoreHandle>;

export function storeContract(name: string, make: MakeStore): void {
  describe(`store contract: ${name}`, () => {
    let h: StoreHandle;
    let s: Store;
    beforeEach(async () => {
      h = await make();
      s = h.store;
    });
    afterEach(async () => {
      await h.cleanup();
    });

    describe('schema', () => {
      it('is at the newest version on a fresh store, and counts every table (empty)', async () => {
        expect(await s.schema()).toEqual({ version: SCHEMA_VERSION, known: SCHEMA_VERSION });
        const counts = await s.counts();
        expect(Object.keys(counts).length).toBeGreaterThanOrEqual(10);
        expect(Object.values(counts).every((n) => n === 0)).toBe(true);
        expect(await s.check()).toEqual({ ok: true, problems: [] });
      });
    });

    describe('creds', () => {
      it('has none for an unknown account; a save is loaded back, the one before it kept as previous', async () => {
        expect(await s.creds.load('a')).toBeUndefined();
        await s.creds.save('a', '{"v":1}');
        expect(await s.creds.load('a')).toMatchObject({ current: '{"v":1}', previous: null });
        await s.creds.save('a', '{"v":2}', { durable: false });
        expect(await s.creds.load('a')).toMatchObject({ current: '{"v":2}', previous: '{"v":1}' });
        expect((await s.creds.load('a'))!.updatedAt).toBeGreaterThan(0);
      });

      it('keeps accounts apart, lists them sorted, and remove() drops the creds and every key of one account', async () => {
        await s.creds.save('b', '{"b":1}');
        await s.creds.save('a', '{"a":1}');
        await s.keys.set('a', [{ type: 'session', id: 'x', value: 'ka' }]);
        await s.keys.set('b', [{ type: 'session', id: 'x', value: 'kb' }]);
        expect(await s.creds.accounts()).toEqual(['a', 'b']);
        await s.creds.remove('a');
        expect(await s.creds.load('a')).toBeUndefined();
        expect((await s.keys.get('a', 'session', ['x'])).size).toBe(0);
        expect(await s.creds.load('b')).toMatchObject({ current: '{"b":1}' });
        expect(await s.keys.get('b', 'session', ['x'])).toEqual(new Map([['x', 'kb']]));
        expect(await s.creds.accounts()).toEqual(['b']);
      });

      it('survives a restart', async () => {
        await s.creds.save('a', '{"v":1}');
        await s.keys.set('a', [{ type: 'pre-key', id: '1', value: 'p1' }]);
        s = await h.reopen();
        expect(await s.creds.load('a')).toMatchObject({ current: '{"v":1}' });
        expect(await s.keys.get('a', 'pre-key', ['1'])).toEqual(new Map([['1', 'p1']]));
      });
    });

    describe('keys', () => {
      it('answers only the ids it has, by account and type; null deletes; count per type; clear', async () => {
        await s.keys.set('a', [
          { type: 'session', id: '1@s.whatsapp.net.0', value: 's1' },
          { type: 'session', id: '2', value: 's2' },
          { type: 'pre-key', id: '2', value: 'p2' },
          { type: 'app-state-sync-key', id: 'AAAA/b+c=', value: '{"keyData":"x"}' },
        ]);
        expect(await s.keys.get('a', 'session', ['1@s.whatsapp.net.0', '2', '3'])).toEqual(
          new Map([
            ['1@s.whatsapp.net.0', 's1'],
            ['2', 's2'],
          ]),
        );
        expect(await s.keys.get('a', 'app-state-sync-key', ['AAAA/b+c='])).toEqual(new Map([['AAAA/b+c=', '{"keyData":"x"}']]));
        expect((await s.keys.get('other', 'session', ['2'])).size).toBe(0);
        expect(await s.keys.count('a')).toEqual({ 'app-state-sync-key': 1, 'pre-key': 1, session: 2 });
        expect(await s.keys.list('a', 'session')).toEqual(
          new Map([
            ['1@s.whatsapp.net.0', 's1'],
            ['2', 's2'],
          ]),
        );
        expect((await s.keys.list('a', 'wagate-decrypted')).size).toBe(0);
        expect((await s.keys.list('other', 'session')).size).toBe(0);
        await s.keys.set('a', [
          { type: 'session', id: '2', value: null },
          { type: 'session', id: '9', value: null }, // deleting what is absent is fine
          { type: 'pre-key', id: '2', value: 'p2b' },
        ]);
        expect(await s.keys.get('a', 'session', ['2'])).toEqual(new Map());
        expect(await s.keys.get('a', 'pre-key', ['2'])).toEqual(new Map([['2', 'p2b']]));
        await s.keys.clear('a');
        expect(await s.keys.count('a')).toEqual({});
      });

      it('behaves like a map under any sequence of batches (property)', async () => {
        const write = fc.record({
          type: fc.constantFrom('session', 'pre-key', 'sender-key'),
          id: fc.constantFrom('1', '2', '3', 'a:b', 'x/y'),
          value: fc.option(fc.string({ maxLength: 8 }), { nil: null }),
        });
        await fc.assert(
          fc.asyncProperty(fc.array(fc.array(write, { maxLength: 6 }), { maxLength: 8 }), async (batches) => {
            await s.keys.clear('p');
            const model = new Map<string, string>();
            for (const batch of batches) {
              await s.keys.set('p', batch as KeyWrite[]);
              for (const w of batch) {
                if (w.value === null) model.delete(`${w.type}|${w.id}`);
                else model.set(`${w.type}|${w.id}`, w.value);
              }
            }
            for (const type of ['session', 'pre-key', 'sender-key']) {
              const got = await s.keys.get('p', type, ['1', '2', '3', 'a:b', 'x/y']);
              const want = new Map(
                [...model].filter(([k]) => k.startsWith(`${type}|`)).map(([k, v]) => [k.slice(type.length + 1), v]),
              );
              expect(got).toEqual(want);
            }
          }),
          { numRuns: 40 },
        );
      });
    });

    describe('transactions', () => {
      it('commit everything fn wrote through its handle, and return its result', async () => {
        const result = await s.transaction(async (tx) => {
          await tx.keys.set('a', [{ type: 'session', id: '1', value: 's1' }]);
          await tx.creds.save('a', '{"v":1}');
          await tx.handled.add('a', 'in|c|1', 1);
          // a transaction reads its own writes
          expect(await tx.keys.get('a', 'session', ['1'])).toEqual(new Map([['1', 's1']]));
          return 42;
        });
        expect(result).toBe(42);
        expect(await s.keys.get('a', 'session', ['1'])).toEqual(new Map([['1', 's1']]));
        expect(await s.creds.load('a')).toMatchObject({ current: '{"v":1}' });
        expect(await s.handled.has('a', 'in|c|1')).toBe(true);
      });

      it('are all-or-nothing: a throw inside fn applies nothing and rejects with that error', async () => {
        await s.creds.save('a', '{"v":0}');
        await s.keys.set('a', [{ type: 'session', id: 'keep', value: 'old' }]);
        const boom = new Error('boom');
        await expect(
          s.transaction(async (tx) => {
            await tx.creds.save('a', '{"v":1}');
            await tx.keys.set('a', [
              { type: 'session', id: 'keep', value: 'new' },
              { type: 'pre-key', id: '1', value: 'p1' },
            ]);
            await tx.keys.set('a', [{ type: 'session', id: 'keep', value: null }]);
            await tx.sessions.append('k', [{ role: 'user', text: 'hi', at: 1, meta: null }]);
            await tx.pairing.approve('+1555', 1);
            throw boom;
          }),
        ).rejects.toBe(boom);
        expect(await s.creds.load('a')).toMatchObject({ current: '{"v":0}', previous: null });
        expect(await s.keys.get('a', 'session', ['keep'])).toEqual(new Map([['keep', 'old']]));
        expect((await s.keys.get('a', 'pre-key', ['1'])).size).toBe(0);
        expect(await s.sessions.turns('k')).toEqual([]);
        expect(await s.pairing.approved()).toEqual([]);
      });

      it('a failed call inside fn rejects, leaves nothing of itself, and the rest still commits', async () => {
        await s.pairing.addRequest({ code: 'AAAA1111', sender: '+1', accountId: 'a', createdAt: 1, expiresAt: 9 });
        await s.transaction(async (tx) => {
          await tx.pairing.approve('+2', 2);
          await expect(
            tx.pairing.addRequest({ code: 'AAAA1111', sender: '+3', accountId: 'a', createdAt: 2, expiresAt: 9 }),
          ).rejects.toMatchObject({ code: 'WAGATE_ERR_STORE' });
        });
        expect(await s.pairing.approved()).toEqual(['+2']);
        expect((await s.pairing.requests()).map((r) => r.sender)).toEqual(['+1']);
      });

      it('run one at a time; plain calls made meanwhile see the committed result', async () => {
        await s.handled.add('a', 'counter-0', 0);
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        const first = s.transaction(async (tx) => {
          await tx.keys.set('a', [{ type: 'session', id: 'n', value: '1' }]);
          await gate;
          await tx.keys.set('a', [{ type: 'session', id: 'n', value: '2' }]);
        });
        const second = s.transaction(async (tx) => {
          const n = (await tx.keys.get('a', 'session', ['n'])).get('n');
          await tx.keys.set('a', [{ type: 'session', id: 'n', value: `${n}+` }]);
        });
        const read = s.keys.get('a', 'session', ['n']);
        release();
        await Promise.all([first, second]);
        expect((await read).get('n')).toMatch(/^2/);
        expect((await s.keys.get('a', 'session', ['n'])).get('n')).toBe('2+');
      });

      it('durable ones, and durable writes inside plain ones, commit like any other', async () => {
        await s.transaction(async (tx) => tx.creds.save('a', '{"v":1}'), { durable: true });
        await s.transaction(async (tx) => {
          await tx.keys.set('a', [{ type: 'session', id: '1', value: 's' }]);
          await tx.creds.save('a', '{"v":2}', { durable: true });
        });
        expect(await s.creds.load('a')).toMatchObject({ current: '{"v":2}', previous: '{"v":1}' });
        await s.creds.save('a', '{"v":3}'); // and plain calls still work after them
        expect((await s.creds.load('a'))!.current).toBe('{"v":3}');
      });

      it('a handle used after its transaction ended is refused', async () => {
        let leaked: Parameters<Parameters<Store['transaction']>[0]>[0] | undefined;
        await s.transaction(async (tx) => {
          leaked = tx;
        });
        await expect(leaked!.keys.get('a', 'session', ['1'])).rejects.toMatchObject({ code: 'WAGATE_ERR_INTERNAL' });
      });
    });

    describe('handled messages', () => {
      it('records a key once, per account, and trims to the newest N', async () => {
        expect(await s.handled.add('a', 'k1', 1)).toBe(true);
        expect(await s.handled.add('a', 'k1', 2)).toBe(false);
        expect(await s.handled.add('b', 'k1', 1)).toBe(true);
        for (let i = 2; i <= 6; i++) await s.handled.add('a', `k${i}`, i);
        expect(await s.handled.trim('a', 3)).toBe(3);
        expect(await Promise.all(['k1', 'k2', 'k3', 'k4', 'k5', 'k6'].map((k) => s.handled.has('a', k)))).toEqual([
          false,
          false,
          false,
          true,
          true,
          true,
        ]);
        expect(await s.handled.has('b', 'k1')).toBe(true);
        expect(await s.handled.trim('a', 10)).toBe(0);
      });

      it('adds many at once and lists the newest, oldest first', async () => {
        expect(await s.handled.addMany('a', ['k1', 'k2', 'k3'], 1)).toBe(3);
        expect(await s.handled.addMany('a', ['k2', 'k4'], 2)).toBe(1);
        expect(await s.handled.addMany('a', [], 3)).toBe(0);
        await s.handled.add('b', 'other', 1);
        expect(await s.handled.recent('a', 2)).toEqual(['k3', 'k4']);
        expect(await s.handled.recent('a', 10)).toEqual(['k1', 'k2', 'k3', 'k4']);
        expect(await s.handled.recent('c', 10)).toEqual([]);
      });

      it('of many concurrent adds of one key, exactly one is new', async () => {
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => s.handled.add('a', 'same', i)));
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it('refuses a negative bound', async () => {
        await expect(s.handled.trim('a', -1)).rejects.toBeInstanceOf(RangeError);
      });
    });

    describe('inbound ledger', () => {
      const arrival = (accountId: string, chatJid: string, messageId: string, receivedAt: number): LedgerArrival => ({
        accountId,
        chatJid,
        messageId,
        sender: `${chatJid}`,
        waTimestamp: receivedAt - 1,
        upsertType: 'notify',
        message: JSON.stringify({ id: messageId, text: `hi ${messageId}` }),
        receivedAt,
      });
      const key = (a: LedgerArrival): LedgerKey => ({ accountId: a.accountId, chatJid: a.chatJid, messageId: a.messageId });

      it('records an arrival once per account + chat + id, as received, with what it was given', async () => {
        const a = arrival('acc', 'x@s.whatsapp.net', 'M1', 1000);
        expect(await s.ledger.record([a, arrival('acc', 'y@s.whatsapp.net', 'M1', 1001), arrival('other', 'x@s.whatsapp.net', 'M1', 1002)])).toEqual([
          true,
          true,
          true,
        ]);
        expect(await s.ledger.record([a, arrival('acc', 'x@s.whatsapp.net', 'M2', 1003), a])).toEqual([false, true, false]);
        const e = await s.ledger.get(key(a));
        expect(e).toMatchObject({ ...a, state: 'received', reason: null, requestId: null, replyText: null, replyIds: [], error: null, updatedAt: 1000 });
        expect(await s.ledger.get({ ...key(a), messageId: 'nope' })).toBeUndefined();
      });

      it('moves through states, keeping the fields not given, and finds an entry by its request id', async () => {
        const a = arrival('acc', 'x@s.whatsapp.net', 'M1', 1000);
        await s.ledger.record([a]);
        expect(await s.ledger.update(key(a), { state: 'accepted', at: 1001 })).toBe(true);
        expect(await s.ledger.update(key(a), { state: 'running', requestId: 'r1', at: 1002 })).toBe(true);
        expect(await s.ledger.update(key(a), { replyText: 'hello', at: 1003 })).toBe(true);
        expect(await s.ledger.update(key(a), { replyIds: ['3EB0A', '3EB0B'], at: 1004 })).toBe(true);
        expect(await s.ledger.get(key(a))).toMatchObject({ state: 'running', requestId: 'r1', replyText: 'hello', replyIds: ['3EB0A', '3EB0B'], updatedAt: 1004 });
        expect(await s.ledger.byRequest('acc', 'r1')).toMatchObject({ messageId: 'M1' });
        expect(await s.ledger.byRequest('other', 'r1')).toBeUndefined();
        expect(await s.ledger.update(key(a), { state: 'failed', error: 'boom', at: 1005 })).toBe(true);
        expect(await s.ledger.get(key(a))).toMatchObject({ state: 'failed', error: 'boom', replyText: 'hello' });
        expect(await s.ledger.update({ ...key(a), messageId: 'nope' }, { state: 'dropped', at: 1 })).toBe(false);
      });

      it('lists by account, chat, states and time, oldest first, bounded to the newest; counts every state; prunes by age', async () => {
        const all = [
          arrival('acc', 'x@s.whatsapp.net', 'M1', 1000),
          arrival('acc', 'y@s.whatsapp.net', 'M2', 2000),
          arrival('acc', 'x@s.whatsapp.net', 'M3', 3000),
          arrival('other', 'x@s.whatsapp.net', 'M4', 4000),
        ];
        await s.ledger.record(all);
        await s.ledger.update(key(all[1]!), { state: 'dropped', reason: 'expired', at: 2500 });
        expect((await s.ledger.list()).map((e) => e.messageId)).toEqual(['M1', 'M2', 'M3', 'M4']);
        expect((await s.ledger.list({ accountId: 'acc', chatJid: 'x@s.whatsapp.net' })).map((e) => e.messageId)).toEqual(['M1', 'M3']);
        expect((await s.ledger.list({ states: ['received'] })).map((e) => e.messageId)).toEqual(['M1', 'M3', 'M4']);
        expect(await s.ledger.list({ states: [] })).toEqual([]);
        expect((await s.ledger.list({ since: 2000, limit: 2 })).map((e) => e.messageId)).toEqual(['M3', 'M4']);
        const seqs = (await s.ledger.list()).map((e) => e.seq);
        expect([...seqs].sort((p, q) => p - q)).toEqual(seqs);
        expect(await s.ledger.counts()).toEqual({ received: 3, accepted: 0, gated: 0, dropped: 1, pairing: 0, running: 0, replied: 0, failed: 0 });
        expect((await s.ledger.counts('other')).received).toBe(1);
        expect(await s.ledger.prune(3000)).toBe(2);
        expect((await s.ledger.list()).map((e) => e.messageId)).toEqual(['M3', 'M4']);
        expect((await s.counts()).inbound_ledger).toBe(2);
      });

      it('applies a batch of writes in order, in one transaction, with a result per write', async () => {
        const a = arrival('acc', 'x@s.whatsapp.net', 'M1', 1000);
        const b = arrival('acc', 'y@s.whatsapp.net', 'M2', 1001);
        const results = await s.ledger.apply([
          { op: 'record', arrival: a },
          { op: 'record', arrival: b },
          { op: 'record', arrival: a },
          { op: 'update', key: key(a), fields: { state: 'running', requestId: 'r1', at: 1002 } },
          { op: 'update-by-request', accountId: 'acc', requestId: 'r1', fields: { state: 'replied', replyIds: ['O1'], at: 1003 } },
          { op: 'update-by-request', accountId: 'acc', requestId: 'nobody', fields: { state: 'failed', at: 1003 } },
          { op: 'update', key: { ...key(b), messageId: 'nope' }, fields: { state: 'dropped', at: 1003 } },
        ]);
        expect(results).toEqual([
          { changed: true, key: key(a) },
          { changed: true, key: key(b) },
          { changed: false, key: key(a) },
          { changed: true, key: key(a) },
          { changed: true, key: key(a) },
          { changed: false, key: null },
          { changed: false, key: { ...key(b), messageId: 'nope' } },
        ]);
        expect(await s.ledger.get(key(a))).toMatchObject({ state: 'replied', requestId: 'r1', replyIds: ['O1'], updatedAt: 1003 });
        expect(await s.ledger.get(key(b))).toMatchObject({ state: 'received' });
        expect(await s.ledger.apply([])).toEqual([]);
      });

      it('merges the moves of one entry field-wise in ask order (the last state wins); an arrival of it in between keeps them apart', async () => {
        const a = arrival('acc', 'x@s.whatsapp.net', 'M1', 1000);
        const b = arrival('acc', 'y@s.whatsapp.net', 'M2', 1001);
        await s.ledger.record([a]);
        const results = await s.ledger.apply([
          { op: 'update', key: key(a), fields: { state: 'accepted', reason: 'first', at: 1002 } },
          { op: 'update', key: key(b), fields: { state: 'accepted', at: 1002 } }, // not there yet: nothing
          { op: 'record', arrival: b },
          { op: 'update', key: key(a), fields: { state: 'running', requestId: 'r1', reason: null, at: 1003 } },
          { op: 'update', key: key(b), fields: { state: 'gated', reason: 'allowlist', at: 1004 } },
          { op: 'update', key: key(a), fields: { replyText: 'hi', replyIds: ['O1'], at: 1005 } },
        ]);
        expect(results.map((r) => r.changed)).toEqual([true, false, true, true, true, true]);
        expect(await s.ledger.get(key(a))).toMatchObject({ state: 'running', reason: null, requestId: 'r1', replyText: 'hi', replyIds: ['O1'], updatedAt: 1005 });
        expect(await s.ledger.get(key(b))).toMatchObject({ state: 'gated', reason: 'allowlist', updatedAt: 1004 });
        // moves asked in separate calls: reads see all of them (without waiting for them
        // when the store applies writes in call order; PostgreSQL runs calls side by side)
        const moved = Promise.all([
          s.ledger.apply([{ op: 'update', key: key(b), fields: { state: 'dropped', reason: 'expired', at: 1006 } }], { applied: true }),
          s.ledger.apply([{ op: 'update', key: key(a), fields: { state: 'replied', at: 1007 } }], { applied: true }),
        ]);
        if (!s.writesInOrder) await moved;
        expect((await s.ledger.list()).map((e) => [e.messageId, e.state])).toEqual([
          ['M1', 'replied'],
          ['M2', 'dropped'],
        ]);
        expect(await s.ledger.byRequest('acc', 'r1')).toMatchObject({ messageId: 'M1', state: 'replied' });
        expect((await moved).map((r) => r[0]!.changed)).toEqual([true, true]);
        await s.committed();
      });

      it('keeps its entries across a restart, and rolls back with its transaction', async () => {
        const a = arrival('acc', 'x@s.whatsapp.net', 'M1', 1000);
        await expect(
          s.transaction(async (tx) => {
            await tx.ledger.record([a]);
            throw new Error('undo');
          }),
        ).rejects.toThrow('undo');
        expect(await s.ledger.get(key(a))).toBeUndefined();
        await s.transaction(async (tx) => {
          await tx.ledger.record([a]);
          await tx.ledger.update(key(a), { state: 'accepted', at: 1001 });
        });
        s = await h.reopen();
        expect(await s.ledger.get(key(a))).toMatchObject({ state: 'accepted' });
      });
    });

    describe('sent messages', () => {
      it('are kept by id, replaced on a second put, and bounded to the newest N per account', async () => {
        for (let i = 1; i <= 5; i++) await s.sent.put('a', { id: `m${i}`, chatJid: 'c@s', message: `{"n":${i}}`, at: i }, 3);
        await s.sent.put('b', { id: 'm1', chatJid: 'c@s', message: 'b', at: 1 }, 3);
        expect(await s.sent.count('a')).toBe(3);
        expect(await s.sent.get('a', 'm2')).toBeUndefined();
        expect(await s.sent.get('a', 'm5')).toEqual({ id: 'm5', chatJid: 'c@s', message: '{"n":5}', at: 5 });
        await s.sent.put('a', { id: 'm5', chatJid: 'd@s', message: 'again', at: 6 }, 3);
        expect(await s.sent.get('a', 'm5')).toEqual({ id: 'm5', chatJid: 'd@s', message: 'again', at: 6 });
        expect(await s.sent.count('a')).toBe(3);
        expect(await s.sent.get('b', 'm1')).toMatchObject({ message: 'b' });
      });
    });

    describe('LID map', () => {
      it('maps both ways per account; a new mapping for a LID replaces the old one', async () => {
        await s.lids.put('a', '111', '15551234567', 1);
        expect(await s.lids.pnForLid('a', '111')).toBe('15551234567');
        expect(await s.lids.lidForPn('a', '15551234567')).toBe('111');
        expect(await s.lids.pnForLid('b', '111')).toBeUndefined();
        await s.lids.put('a', '111', '15559999999', 2);
        expect(await s.lids.pnForLid('a', '111')).toBe('15559999999');
        expect(await s.lids.lidForPn('a', '15551234567')).toBeUndefined();
        await s.lids.put('a', '222', '15559999999', 3);
        expect(await s.lids.lidForPn('a', '15559999999')).toBe('222'); // the newest
      });
    });

    describe('pairing', () => {
      it('keeps requests oldest first, removes by code and by expiry, and approves senders once', async () => {
        await s.pairing.addRequest({ code: 'BBBB2222', sender: '+2', accountId: 'a', createdAt: 20, expiresAt: 100, name: 'Bob' });
        await s.pairing.addRequest({ code: 'AAAA1111', sender: '+1', accountId: 'a', createdAt: 10, expiresAt: 50 });
        await s.pairing.addRequest({ code: 'CCCC3333', sender: '+3', accountId: 'b', createdAt: 30, expiresAt: 200 });
        expect((await s.pairing.requests()).map((r) => r.code)).toEqual(['AAAA1111', 'BBBB2222', 'CCCC3333']);
        expect((await s.pairing.requests())[1]).toEqual({
          code: 'BBBB2222',
          sender: '+2',
          accountId: 'a',
          name: 'Bob',
          createdAt: 20,
          expiresAt: 100,
        });
        expect((await s.pairing.requests())[0]).not.toHaveProperty('name');
        expect(await s.pairing.removeExpired(50)).toBe(1);
        expect(await s.pairing.removeRequest('BBBB2222')).toBe(true);
        expect(await s.pairing.removeRequest('BBBB2222')).toBe(false);
        expect((await s.pairing.requests()).map((r) => r.code)).toEqual(['CCCC3333']);

        expect(await s.pairing.approve('+2', 1)).toBe(true);
        expect(await s.pairing.approve('123@lid', 2)).toBe(true);
        expect(await s.pairing.approve('+2', 3)).toBe(false);
        expect(await s.pairing.approved()).toEqual(['+2', '123@lid']);
        expect(await s.pairing.isApproved('+2')).toBe(true);
        expect(await s.pairing.isApproved('+9')).toBe(false);
      });
    });

    describe('group activations', () => {
      it('are set, replaced, listed per account and removed with null', async () => {
        await s.activations.set('a', 'g1@g.us', 'always', 1);
        await s.activations.set('a', 'g2@g.us', 'mention', 1);
        await s.activations.set('b', 'g1@g.us', 'mention', 1);
        await s.activations.set('a', 'g2@g.us', 'always', 2);
        expect(await s.activations.all('a')).toEqual({ 'g1@g.us': 'always', 'g2@g.us': 'always' });
        expect(await s.activations.get('b', 'g1@g.us')).toBe('mention');
        await s.activations.set('a', 'g1@g.us', null, 3);
        expect(await s.activations.get('a', 'g1@g.us')).toBeUndefined();
        expect(await s.activations.all('a')).toEqual({ 'g2@g.us': 'always' });
      });
    });

    describe('connection history', () => {
      it('updates only the fields given', async () => {
        expect(await s.connections.get('a')).toBeUndefined();
        await s.connections.update('a', { linkedAt: 10 });
        expect(await s.connections.get('a')).toEqual({ linkedAt: 10, lastConnectedAt: null });
        await s.connections.update('a', { lastConnectedAt: 20 });
        await s.connections.update('a', { lastConnectedAt: 30 });
        expect(await s.connections.get('a')).toEqual({ linkedAt: 10, lastConnectedAt: 30 });
        await s.connections.update('a', { linkedAt: null });
        expect(await s.connections.get('a')).toEqual({ linkedAt: null, lastConnectedAt: 30 });
        await s.connections.remove('a');
        expect(await s.connections.get('a')).toBeUndefined();
      });
    });

    describe('WhatsApp Web version cache', () => {
      it('is kept per URL, replaced by a later fetch, and survives a restart', async () => {
        const url = 'https://web.whatsapp.com/sw.js';
        expect(await s.webVersions.get(url)).toBeUndefined();
        await s.webVersions.put({ url, version: '2.3000.1', fetchedAt: 10 });
        await s.webVersions.put({ url: 'http://127.0.0.1:9/sw.js', version: '2.3000.7', fetchedAt: 11 });
        await s.webVersions.put({ url, version: '2.3000.2', fetchedAt: 20 });
        expect(await s.webVersions.get(url)).toEqual({ url, version: '2.3000.2', fetchedAt: 20 });
        s = await h.reopen();
        expect(await s.webVersions.get('http://127.0.0.1:9/sw.js')).toEqual({ url: 'http://127.0.0.1:9/sw.js', version: '2.3000.7', fetchedAt: 11 });
        expect((await s.counts()).web_versions).toBe(2);
      });
    });

    describe('sessions', () => {
      it('append turns in order, read the last N, list by last use, and clear', async () => {
        await s.sessions.append('agent:main:+1', [
          { role: 'user', text: 'one', at: 1, meta: '{"messageId":"m1"}' },
          { role: 'assistant', text: 'two', at: 2, meta: null },
        ]);
        await s.sessions.append('agent:main:+2', [{ role: 'user', text: 'x', at: 5, meta: null }]);
        await s.sessions.append('agent:main:+1', [{ role: 'user', text: 'three', at: 3, meta: null }]);
        expect((await s.sessions.turns('agent:main:+1')).map((t) => t.text)).toEqual(['one', 'two', 'three']);
        expect(await s.sessions.turns('agent:main:+1', 2)).toEqual([
          { role: 'assistant', text: 'two', at: 2, meta: null },
          { role: 'user', text: 'three', at: 3, meta: null },
        ]);
        expect((await s.sessions.turns('agent:main:+1'))[0]!.meta).toBe('{"messageId":"m1"}');
        expect(await s.sessions.list()).toEqual([
          { key: 'agent:main:+2', turns: 1, lastAt: 5 },
          { key: 'agent:main:+1', turns: 3, lastAt: 3 },
        ]);
        await s.sessions.clear('agent:main:+1');
        expect(await s.sessions.turns('agent:main:+1')).toEqual([]);
        expect((await s.sessions.list()).map((x) => x.key)).toEqual(['agent:main:+2']);
      });

      it('appends a few turns or many in order, all of them or none', async () => {
        const turn = (i: number, role: 'user' | 'assistant' = i % 2 === 0 ? 'user' : 'assistant') => ({ role, text: `t${i}`, at: i, meta: null });
        await s.sessions.append('k', [turn(0), turn(1)]);
        await s.sessions.append('k', Array.from({ length: 20 }, (_, i) => turn(i + 2)));
        expect((await s.sessions.turns('k')).map((t) => t.text)).toEqual(Array.from({ length: 22 }, (_, i) => `t${i}`));
        // a turn the table refuses (its role CHECK) fails the whole append, short or long
        const bad = { ...turn(99), role: 'robot' as 'user' };
        await expect(s.sessions.append('k', [turn(100), bad])).rejects.toMatchObject({ code: 'WAGATE_ERR_STORE' });
        await expect(s.sessions.append('k', [...Array.from({ length: 12 }, (_, i) => turn(200 + i)), bad])).rejects.toMatchObject({
          code: 'WAGATE_ERR_STORE',
        });
        expect(await s.sessions.turns('k')).toHaveLength(22);
      });
    });

    describe('closing', () => {
      it('waits for a running transaction, then refuses calls with WAGATE_ERR_STORE', async () => {
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        const tx = s.transaction(async (t) => {
          await gate;
          await t.handled.add('a', 'late', 1);
        });
        const closed = s.close();
        release();
        await tx;
        await closed;
        await expect(s.handled.has('a', 'late')).rejects.toMatchObject({ code: 'WAGATE_ERR_STORE' });
        s = await h.reopen();
        expect(await s.handled.has('a', 'late')).toBe(true);
      });
    });
  });
}
