/**
 * The chaos test across nodes, CI slice (issue 16): two seeded cluster schedules, chosen
 * to cover every fault kind between them (SIGKILL and SIGTERM of an account's owner node,
 * a node killed while its agent runs or right after it sent a reply, a node started again,
 * socket drops, a slow and a failing agent), against three real gateway nodes on one
 * throwaway PostgreSQL, the simulator and real Baileys. `npm run chaos -- --nodes 3
 * --runs N --seed S` runs more (test/chaos/run.ts).
 */
import { describe, expect, it } from 'vitest';
import { postgresForFile, type PgServer } from '../helpers/postgres.js';
import { runClusterSchedule } from './cluster-engine.js';
import { formatRun } from './report.js';
import { DEFAULT_CLUSTER_SCHEDULE, type ClusterScheduleOptions } from './schedule.js';

const SLICE: ClusterScheduleOptions = { ...DEFAULT_CLUSTER_SCHEDULE, steps: 12 };

let server: PgServer;
postgresForFile((s) => (server = s));

describe('chaos across nodes: seeded faults against three gateway nodes on one PostgreSQL (CI slice)', () => {
  it.each([
    // SIGKILL an account's owner, kill-in-agent, two node starts, slow agent, drop 428 (6 messages)
    [23],
    // agent crashes ×2, drop 500, SIGTERM an account's owner, node start, slow agent, kill-in-send, node start (3 messages)
    [116],
  ])(
    'seed %i: every message answered exactly once, in order per chat; one pairing code per stranger; no account connected twice',
    async (seed) => {
      const r = await runClusterSchedule({ seed, schedule: SLICE, server });
      // On failure the message is the seed, the schedule, the violations and the command that reproduces it.
      expect(r.violations, formatRun(r, SLICE)).toEqual([]);
      expect(r.messages).toBeGreaterThan(0);
    },
    300_000,
  );
});
