/** The cluster schedule generator (schedule.ts `generateClusterSchedule`): what the engine relies on. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CLUSTER_SCHEDULE, DEFAULT_SCHEDULE, generateClusterSchedule, generateSchedule, type Step } from './schedule.js';

const NODE_KINDS = new Set<Step['kind']>(['node-kill', 'node-term', 'node-start', 'account-drop']);
const SINGLE_ONLY = new Set<Step['kind']>(['kill', 'term', 'restart', 'drop']);

describe('generateClusterSchedule', () => {
  it('keeps a node up, starts every stopped node again by the end, and follows each armed kill with a send', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const opts = { ...DEFAULT_CLUSTER_SCHEDULE, nodes: 2 + (seed % 2), accounts: 1 + (seed % 3) };
      const steps = generateClusterSchedule(seed, opts);
      expect(steps.length).toBeGreaterThanOrEqual(opts.steps);
      let up = opts.nodes;
      steps.forEach((s, i) => {
        expect(SINGLE_ONLY.has(s.kind), `seed ${seed} step ${i}: ${s.kind}`).toBe(false);
        if (s.kind === 'node-kill' || s.kind === 'node-term') up -= 1;
        if (s.kind === 'node-start') up += 1;
        if (s.kind === 'kill-in-agent' || s.kind === 'kill-in-send') {
          expect(up, `seed ${seed} step ${i}: armed with one node up`).toBeGreaterThan(1);
          const next = steps[i + 1]!;
          expect(next.kind === 'send' && next.contact < opts.contacts, `seed ${seed} step ${i}: an approved send follows`).toBe(true);
          up -= 1;
        }
        if ('account' in s) expect(s.account).toBeLessThan(opts.accounts);
        expect(up, `seed ${seed} step ${i}`).toBeGreaterThanOrEqual(1);
        expect(up).toBeLessThanOrEqual(opts.nodes);
      });
      expect(up, `seed ${seed}: every node up at the end`).toBe(opts.nodes);
      expect(generateClusterSchedule(seed, opts)).toEqual(steps);
    }
  });

  it('draws node faults only from the kinds asked for', () => {
    const steps = generateClusterSchedule(7, { ...DEFAULT_CLUSTER_SCHEDULE, steps: 60, faults: ['drop', 'agent-crash'] });
    expect(new Set(steps.map((s) => s.kind))).toEqual(new Set(['send', 'account-drop', 'agent-crash']));
    expect(generateClusterSchedule(7, { ...DEFAULT_CLUSTER_SCHEDULE, faults: [] }).every((s) => s.kind === 'send')).toBe(true);
  });

  it('single-node schedules hold no cluster step', () => {
    for (let seed = 1; seed <= 300; seed++) {
      for (const s of generateSchedule(seed, DEFAULT_SCHEDULE)) expect(NODE_KINDS.has(s.kind), `seed ${seed}: ${s.kind}`).toBe(false);
    }
  });
});
