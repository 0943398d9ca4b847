import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { HistorySnapshot, selectHistory, type HistoryOptions } from '../../src/agents/session-history.js';
import { SessionStore, type SessionEntry } from '../../src/agents/session-store.js';
import type { Store } from '../../src/store/port.js';
import { openSqliteStore, storeFile } from '../../src/store/sqlite.js';
import { tmpDir } from '../helpers/tmp.js';

/** selectHistory as it was before it was split into a range (the reference). */
function selectHistoryBefore(entries: readonly SessionEntry[], opts: HistoryOptions): SessionEntry[] {
  let start = 0;
  if (opts.idleMs !== undefined && entries.length > 0) {
    const idle = opts.idleMs;
    const last = entries[entries.length - 1]!;
    if (opts.now !== undefined && opts.now - last.at > idle) return [];
    for (let i = entries.length - 1; i > 0; i -= 1) {
      if (entries[i]!.at - entries[i - 1]!.at > idle) {
        start = i;
        break;
      }
    }
  }
  const kept = entries.slice(start);
  if (opts.userTurns === undefined) return kept;
  if (opts.userTurns <= 0) return [];
  let seen = 0;
  for (let i = kept.length - 1; i >= 0; i -= 1) {
    if (kept[i]!.role !== 'user') continue;
    seen += 1;
    if (seen === opts.userTurns) return kept.slice(i);
  }
  return kept;
}

const entryArb = fc.record({
  role: fc.constantFrom('user' as const, 'assistant' as const),
  gap: fc.integer({ min: 0, max: 100 }),
  id: fc.integer({ min: 0, max: 5 }),
});
const entriesArb = fc.array(entryArb, { maxLength: 30 }).map((xs) => {
  let at = 1_000;
  return xs.map(({ role, gap, id }, i): SessionEntry => {
    at += gap;
    return role === 'user' ? { role, text: `u${i}`, at, messageId: `M${id}` } : { role, text: `a${i}`, at };
  });
});
const optsArb = fc.record(
  {
    userTurns: fc.integer({ min: -1, max: 8 }),
    idleMs: fc.integer({ min: 0, max: 120 }),
    now: fc.integer({ min: 1_000, max: 5_000 }),
  },
  { requiredKeys: [] },
);

describe('HistorySnapshot', () => {
  it('selectHistory keeps exactly the turns it kept before', () => {
    fc.assert(
      fc.property(entriesArb, optsArb, (entries, opts) => {
        expect(selectHistory(entries, opts)).toEqual(selectHistoryBefore(entries, opts));
      }),
    );
  });

  it('holds the turns selectHistory gives at the time it is taken, read after later appends', () => {
    fc.assert(
      fc.property(entriesArb, optsArb, entriesArb, fc.integer({ min: 0, max: 5 }), (entries, opts, later, drop) => {
        const expected = selectHistory(entries, opts);
        const snap = HistorySnapshot.of(entries, opts);
        const without = snap.without(`M${drop}`);
        entries.push(...later);
        expect(snap.toArray()).toEqual(expected);
        expect(without.toArray()).toEqual(expected.filter((e) => !(e.role === 'user' && e.messageId === `M${drop}`)));
      }),
    );
  });

  it('copies once: the array read is the caller’s, not the session’s', () => {
    const entries: SessionEntry[] = [{ role: 'user', text: 'hi', at: 1, messageId: 'A' }];
    const snap = HistorySnapshot.of(entries, {});
    const read = snap.toArray();
    expect(snap.toArray()).toBe(read);
    read.push({ role: 'assistant', text: 'x', at: 2 });
    expect(entries).toHaveLength(1);
  });
});

describe('SessionStore.snapshotAndHas', () => {
  const open: Store[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });

  it('gives the history as it was when taken, though the session is appended to before it is read', async () => {
    const store = await openSqliteStore({ file: storeFile(tmpDir('history-snapshot')) });
    open.push(store);
    const sessions = new SessionStore(store.sessions);
    const key = 'agent:main:main';
    await sessions.append(key, { role: 'user', text: 'one', at: 1, messageId: 'A' }, { role: 'assistant', text: 'r1', at: 2 });
    const { history, has } = await sessions.snapshotAndHas(key, 'A');
    expect(has).toBe(true);
    const expected = await sessions.historyAndHas(key, 'A');
    await sessions.append(key, { role: 'user', text: 'two', at: 3, messageId: 'B' }, { role: 'assistant', text: 'r2', at: 4 });
    expect(history.toArray()).toEqual(expected.history);
    expect(history.toArray().map((e) => e.text)).toEqual(['one', 'r1']);
    expect((await sessions.historyAndHas(key, 'B')).history.map((e) => e.text)).toEqual(['one', 'r1', 'two', 'r2']);
  });
});
