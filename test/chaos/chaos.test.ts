/**
 * The chaos test's CI slice (issue 13 item 7): two seeded schedules, chosen to cover
 * every fault kind between them, against the real gateway process, the simulator and
 * real Baileys. `npm run chaos -- --runs N --seed S` runs more (test/chaos/run.ts).
 */
import { describe, expect, it } from 'vitest';
import { runSchedule } from './engine.js';
import { formatRun } from './report.js';
import type { ScheduleOptions } from './schedule.js';

const SLICE: ScheduleOptions = { steps: 12, contacts: 2, strangers: 1 };

describe('chaos: seeded faults against the real gateway process (CI slice)', () => {
  it.each([
    // kill-in-agent, restart, drop 500, slow agent, kill, restart (7 messages)
    [83],
    // drop 515, kill-in-send, restart, agent-crash, term, restart (8 messages)
    [606],
  ])(
    'seed %i: every message answered exactly once, in order per chat; one pairing code per stranger',
    async (seed) => {
      const r = await runSchedule({ seed, schedule: SLICE });
      // On failure the message is the seed, the schedule, the violations and the command that reproduces it.
      expect(r.violations, formatRun(r, SLICE)).toEqual([]);
      expect(r.messages).toBeGreaterThan(0);
    },
    300_000,
  );
});
