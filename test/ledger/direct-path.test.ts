/**
 * The inbound ledger's direct write path on SQLite (issue 12 item 5: `ledger.applyNow`,
 * no batch, queue or microtask per write) against its batch path (the same store with
 * `applyNow` hidden, as on a store without it): the same results for every call (arrival
 * verdicts, moves' answers, failures), the same rows, the same changes heard by
 * listeners in the same order, the same rows changed — for random turns of arrivals and
 * moves, plain, durable, by request id, and failing ones.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { InboundLedger, keyOf, ledgerRequestId, sha256Hex, type LedgerChange } from '../../src/ledger/inbound-ledger.js';
import type { InboundMessage } from '../../src/ports/inbound.js';
import type { LedgerState, Store } from '../../src/store/port.js';
import type { SqliteStore } from '../../src/store/sqlite.js';
import { ALICE, BOB, T0, dm } from '../access/harness.js';
import { tempSqliteStore } from '../store/helpers/temp.js';
import { createHash } from 'node:crypto';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** The store as a store without the direct path (its ledger has no `applyNow`). */
export function withoutDirect(store: Store): Store {
  const ledger = { ...store.ledger, applyNow: undefined };
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'ledger') return ledger;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

type Op =
  | { kind: 'arrive' | 'arriveHeld'; m: number }
  | { kind: 'move' | 'post'; m: number; state: LedgerState | 'bogus' | null; durable: boolean }
  | { kind: 'byRequest'; m: number; known: boolean; durable: boolean; state: 'replied' | 'failed' | null };

const STATES = ['accepted', 'gated', 'running', 'replied', 'dropped', 'bogus', null] as const;
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('arrive' as const, 'arriveHeld' as const), m: fc.nat(3) }),
  fc.record({ kind: fc.constantFrom('move' as const, 'post' as const), m: fc.nat(3), state: fc.constantFrom(...STATES), durable: fc.boolean() }),
  fc.record({ kind: fc.constant('byRequest' as const), m: fc.nat(3), known: fc.boolean(), durable: fc.boolean(), state: fc.constantFrom('replied' as const, 'failed' as const, null) }),
);

export async function openStore() {
  const h = await tempSqliteStore();
  cleanups.push(h.cleanup);
  const db = (h.store as unknown as { db: Database.Database }).db;
  return { store: h.store as SqliteStore, changes: () => Number(db.prepare('SELECT total_changes()').pluck().get()) };
}

/** Runs the turns on a ledger; every call's outcome, the changes heard, the rows and rows changed. */
export async function play(store: Store, changes: () => number, messages: InboundMessage[], turns: Op[][]) {
  let clock = T0;
  const ledger = new InboundLedger(store, { now: () => clock++ });
  const heard: LedgerChange[] = [];
  ledger.onCommit((c) => heard.push(...c));
  const outcomes: unknown[] = [];
  const start = changes();
  const show = (p: Promise<unknown>, i: number) =>
    p.then(
      (v) => (outcomes[i] = { ok: v }),
      (err: { code?: string }) => (outcomes[i] = { err: err.code ?? 'thrown' }),
    );
  let n = 0;
  for (const turn of turns) {
    const calls: Array<Promise<unknown>> = [];
    for (const op of turn) {
      const i = n++;
      const m = messages[op.m]!;
      const key = keyOf('default', m);
      switch (op.kind) {
        case 'arrive':
          calls.push(show(ledger.arrive('default', m), i));
          break;
        case 'arriveHeld':
          calls.push(show(ledger.arriveHeld('default', m), i));
          break;
        case 'move': {
          const fields = op.state === 'running' ? { state: op.state, requestId: ledgerRequestId(key) } : { state: (op.state ?? undefined) as LedgerState | undefined, replyText: `t${i}` };
          calls.push(show(ledger.move(key, fields, { durable: op.durable }), i));
          break;
        }
        case 'post': {
          const failed = new Promise<unknown>((resolve) => {
            ledger.post(key, { state: (op.state ?? undefined) as LedgerState | undefined, reason: `r${i}` }, (err) => resolve((err as { code?: string }).code));
            setImmediate(() => resolve('settled'));
          });
          calls.push(failed.then((v) => (outcomes[i] = { post: v })));
          break;
        }
        case 'byRequest': {
          const requestId = op.known ? ledgerRequestId(key) : 'in-000000000000000000000000';
          calls.push(show(ledger.moveByRequest('default', requestId, { state: op.state ?? undefined, replyIds: [`O${i}`] }, { durable: op.durable }), i));
          break;
        }
      }
    }
    await Promise.all(calls);
    await ledger.flush();
  }
  // (The batch path's `flush` does not wait for its listeners' chain: a turn later it has told.)
  await new Promise((resolve) => setImmediate(resolve));
  const rows = (await store.ledger.list({ limit: 100 })).map(({ seq: _seq, ...e }) => e);
  // What this process holds: compared for entries with no arrival asked after a move (a
  // final move asked before an arrival of its entry closes it when asked on the direct
  // path, when settled — after an arrival asked later in that turn — on the batch path).
  const ops = turns.flat();
  const isArrival = (op: Op) => op.kind === 'arrive' || op.kind === 'arriveHeld';
  const arrivedFirst = (j: number) => {
    const mine = ops.filter((op) => op.m === j);
    const firstMove = mine.findIndex((op) => !isArrival(op));
    return firstMove < 0 || !mine.slice(firstMove).some(isArrival);
  };
  const open = messages.map((m, j) => (arrivedFirst(j) ? (ledger.openNote(keyOf('default', m)) ?? null) : 'not compared'));
  return { outcomes, heard, rows, changed: changes() - start, open };
}

describe('InboundLedger: the direct write path (SQLite)', () => {
  it('answers, writes and tells exactly as the batch path, for random turns of arrivals and moves', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(opArb, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 5 }), async (turns) => {
        const messages = [0, 1, 2, 3].map((i) => dm(i % 2 ? BOB : ALICE, `m${i}`, { id: `M${i}`, timestamp: T0 }));
        const direct = await openStore();
        const batch = await openStore();
        expect(direct.store.ledger.applyNow).toBeDefined();
        // The batch path fails a whole run of moves when one of them fails (a run with a move
        // by a request id unknown in memory is one all-or-nothing group; the callers of a run
        // of stashed moves wait on them together); the direct path fails only the failing
        // move's callers (see the next tests). So a turn with a failing move keeps its
        // arrivals and that one move only.
        const isBogus = (op: Op) => 'state' in op && op.state === 'bogus';
        // Moves come after their entry's first arrival (as in the gateway: a move before it
        // finds no entry, and what this process remembers of it then differs in timing only).
        const arrived = new Set<number>();
        const comparable = turns.map((turn) => {
          const bad = turn.find(isBogus);
          return (bad ? turn.filter((op) => op === bad || op.kind === 'arrive' || op.kind === 'arriveHeld') : turn).filter((op) => {
            if (op.kind === 'arrive' || op.kind === 'arriveHeld') arrived.add(op.m);
            return arrived.has(op.m);
          });
        });
        const { changed: changedDirect, ...a } = await play(direct.store, direct.changes, messages, comparable);
        const { changed: changedBatch, ...b } = await play(withoutDirect(batch.store), batch.changes, messages, comparable);
        expect(a).toEqual(b);
        // Never more rows changed (statements) than the batch path; fewer when it coalesces more.
        expect(changedDirect).toBeLessThanOrEqual(changedBatch);
        for (const c of cleanups.splice(0)) await c();
      }),
      { numRuns: 40 },
    );
  }, 90_000); // two SQLite stores opened per run

  it('a failing move fails only its callers; the arrival and the other entry’s moves of that turn are written', async () => {
    const { store } = await openStore();
    const ledger = new InboundLedger(store, { now: () => T0 });
    const a = dm(ALICE, 'a', { id: 'A1' });
    const b = dm(BOB, 'b', { id: 'B1' });
    expect(await ledger.arrive('default', a)).toBe('new');
    const errors: unknown[] = [];
    // Not known to this ledger's store instance yet? It is (inserted here): settled at once, coalesced.
    ledger.post(keyOf('default', a), { state: 'bogus' as LedgerState }, (err) => errors.push(err));
    const arrivedB = ledger.arrive('default', b);
    const movedB = ledger.move(keyOf('default', b), { state: 'accepted' });
    expect(await arrivedB).toBe('new');
    expect(await movedB).toBe(true);
    // The bad move was settled before it ran: the commit reports it to whoever waits for it.
    await expect(store.committed()).rejects.toMatchObject({ code: 'WAGATE_ERR_STORE' });
    expect(errors).toEqual([]);
    expect(await store.ledger.get(keyOf('default', a))).toMatchObject({ state: 'received' });
    expect(await store.ledger.get(keyOf('default', b))).toMatchObject({ state: 'accepted' });
    // A durable move's caller hears its own failure.
    await expect(ledger.move(keyOf('default', b), { state: 'bogus' as LedgerState }, { durable: true })).rejects.toMatchObject({ code: 'WAGATE_ERR_STORE' });
    expect(await store.ledger.get(keyOf('default', b))).toMatchObject({ state: 'accepted' });
  });

  it('in one turn, a failing durable move and a good one, and a failing move next to a move by request id: each fails alone', async () => {
    const { store } = await openStore();
    const ledger = new InboundLedger(store, { now: () => T0 });
    const a = dm(ALICE, 'a', { id: 'A3' });
    const b = dm(BOB, 'b', { id: 'B3' });
    const [ka, kb] = [keyOf('default', a), keyOf('default', b)];
    expect(await Promise.all([ledger.arrive('default', a), ledger.arrive('default', b)])).toEqual(['new', 'new']);
    const bad = ledger.move(ka, { state: 'bogus' as LedgerState }, { durable: true });
    const good = ledger.move(kb, { state: 'accepted' }, { durable: true });
    await expect(bad).rejects.toMatchObject({ code: 'WAGATE_ERR_STORE' });
    expect(await good).toBe(true);
    expect(await store.ledger.get(kb)).toMatchObject({ state: 'accepted' });
    // A move by a request id not in memory, written at once, next to a failing move of another entry.
    const requestId = ledgerRequestId(kb);
    await ledger.move(kb, { state: 'running', requestId }, { durable: true });
    const fresh = new InboundLedger(store, { now: () => T0 }); // knows no request ids
    const failing = fresh.move(ka, { state: 'bogus' as LedgerState }); // settled at once (its entry is known), fails at the commit
    const byRequest = fresh.moveByRequest('default', requestId, { state: 'replied', replyIds: ['O1'] }, { durable: true });
    expect(await failing).toBe(true);
    expect(await byRequest).toBe(true);
    expect(await store.ledger.get(kb)).toMatchObject({ state: 'replied', replyIds: ['O1'] });
    expect(await store.ledger.get(ka)).toMatchObject({ state: 'received' });
  });

  it('while transaction(fn) holds the connection, direct writes wait and keep their order', async () => {
    const { store } = await openStore();
    const ledger = new InboundLedger(store, { now: () => T0 });
    const a = dm(ALICE, 'a', { id: 'A2' });
    let release!: () => void;
    const held = store.transaction(() => new Promise<void>((r) => (release = r)));
    await Promise.resolve();
    const arrived = ledger.arrive('default', a);
    const moved = ledger.move(keyOf('default', a), { state: 'accepted' });
    const durable = ledger.move(keyOf('default', a), { state: 'running', requestId: ledgerRequestId(keyOf('default', a)) }, { durable: true });
    release();
    await held;
    expect(await arrived).toBe('new');
    expect(await moved).toBe(true);
    expect(await durable).toBe(true);
    expect(await store.ledger.get(keyOf('default', a))).toMatchObject({ state: 'running' });
  });

  it('request ids: the one-shot hash spells them as createHash did', () => {
    const k = { accountId: 'default', chatJid: '15551230001@s.whatsapp.net', messageId: '3EB0ABC' };
    const old = createHash('sha256').update(`${k.accountId}\u0000${k.chatJid}\u0000${k.messageId}`).digest('hex');
    expect(ledgerRequestId(k)).toBe(`in-${old.slice(0, 24)}`);
    expect(ledgerRequestId(k)).toBe('in-' + sha256Hex(`default\u000015551230001@s.whatsapp.net\u00003EB0ABC`).slice(0, 24));
    // pinned: resumed entries keep their request id across versions
    expect(ledgerRequestId({ accountId: 'a', chatJid: 'b', messageId: 'c' })).toBe('in-8badde10c760e9b702defb4b');
  });
});
