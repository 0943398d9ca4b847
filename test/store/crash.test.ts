/**
 * Crash safety of the store (issue 12 item 4): a writer child is SIGKILLed 20 times
 * while it commits multi-key transactions and creds; every load must be valid, no
 * confirmed write lost, no transaction half-applied. `npm run bench -- store-crash`
 * runs 1,000 kills. STORE_CRASH_SEED replays a run, STORE_CRASH_KILLS changes its size.
 */
import { expect, it } from 'vitest';
import { runStoreCrash } from './helpers/crash.js';

const KILLS = Number(process.env.STORE_CRASH_KILLS) || 20;

it(`survives ${KILLS} SIGKILLs mid-write: every load valid, no confirmed write lost, nothing half-applied`, async () => {
  const seed = Number(process.env.STORE_CRASH_SEED) || undefined;
  const r = await runStoreCrash({ kills: KILLS, seed });
  const ctx = `(STORE_CRASH_SEED=${r.seed}) ${r.problems.join(' | ')}`;
  expect(r.kills).toBe(KILLS);
  expect(r.validLoads, ctx).toBe(KILLS);
  expect(r.lostConfirmedWrites, ctx).toBe(0);
  expect(r.halfApplied, ctx).toBe(0);
  // The run means something only if writes were confirmed and kills landed inside them.
  expect(r.confirmedWrites, ctx).toBeGreaterThan(0);
  expect(r.killsMidWrite, ctx).toBeGreaterThan(0);
}, 180_000);
