/**
 * WAL checkpoints on a worker thread (src/store/sqlite-checkpointer.ts): once the store
 * is busy, a worker with its own connection checkpoints the WAL, so the WAL stays
 * bounded without the event loop doing the fsyncs; everything committed stays readable
 * after a reopen, and close() ends the worker.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { SqliteStore } from '../../src/store/sqlite.js';
import { until } from '../helpers/until.js';
import { tempSqliteStore } from './helpers/temp.js';

describe('SQLite checkpoints on a worker thread', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('starts after the given number of commits, checkpoints, keeps every write, and stops on close', async () => {
    const h = await tempSqliteStore({ checkpoints: { startAfterCommits: 5, everyCommits: 10 } });
    cleanups.push(h.cleanup);
    const store = h.store as SqliteStore;
    for (let i = 0; i < 4; i++) await store.handled.add('a', `k${i}`, 1);
    expect(store.checkpointSummary().worker).toBe('idle'); // a short-lived store never starts one
    const big = 'x'.repeat(3000);
    for (let i = 0; i < 400; i++) await store.sessions.append('s', [{ role: 'user', text: `${i} ${big}`, at: i, meta: null }]);
    expect(store.checkpointSummary().worker).toBe('running');
    await until(() => store.checkpointSummary().checkpoints > 0);
    // The rows reached the database file itself: only a checkpoint copies them there, and
    // the store's own automatic one is raised to the backstop (10,000 pages) while the worker runs.
    let n = 400;
    await until(async () => {
      await store.sessions.append('s', [{ role: 'user', text: `${n++} ${big}`, at: n, meta: null }]); // commits keep asking for checkpoints
      return fs.statSync(h.file).size > 300 * 4096;
    });
    const reopened = (await h.reopen()) as SqliteStore;
    expect((await reopened.sessions.turns('s')).length).toBe(n);
    expect(await reopened.handled.has('a', 'k3')).toBe(true);
    expect(reopened.checkpointSummary()).toEqual({ worker: 'idle', checkpoints: 0 });
  });
});
