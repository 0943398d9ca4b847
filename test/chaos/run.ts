/**
 * `npm run chaos -- [--nodes N [--accounts A]] [--runs N] [--seed S] [--steps K] [--contacts C] [--strangers U] [--faults a,b|none] [--verbose] [--keep]`:
 * N seeded schedules (seeds S, S+1, …; S random when not given) against the real gateway
 * process, the simulator and real Baileys. Prints each run (a failed one with its schedule,
 * its violations and the command that reproduces it) and a summary; exits 1 on any failure.
 * `--nodes N` (N ≥ 2) runs cluster schedules instead (cluster-engine.ts): N gateway nodes on
 * one throwaway PostgreSQL, `--accounts A` linked accounts (default 3), node kills among the faults.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startPostgresIn } from '../helpers/postgres-server.js';
import { runClusterSchedule } from './cluster-engine.js';
import { runSchedule, type RunResult } from './engine.js';
import { formatRun } from './report.js';
import { DEFAULT_CLUSTER_SCHEDULE, DEFAULT_SCHEDULE, FAULT_KINDS, type ClusterScheduleOptions, type FaultKind, type ScheduleOptions } from './schedule.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    seed: { type: 'string' },
    steps: { type: 'string' },
    contacts: { type: 'string' },
    strangers: { type: 'string' },
    faults: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    nodes: { type: 'string' },
    accounts: { type: 'string' },
  },
});
const int = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got ${v}`);
  return n;
};
const runs = int(values.runs, 'runs')!;
const seed0 = int(values.seed, 'seed') ?? Math.floor(Math.random() * 2 ** 31);
const faults = values.faults === undefined ? undefined : values.faults === 'none' ? [] : values.faults.split(',').map((f) => f.trim());
for (const f of faults ?? []) if (!(FAULT_KINDS as readonly string[]).includes(f)) throw new Error(`--faults: unknown fault ${f}; known: ${FAULT_KINDS.join(', ')}, or none`);
const custom = values.steps !== undefined || values.contacts !== undefined || values.strangers !== undefined || faults !== undefined;
const nodes = int(values.nodes, 'nodes');
if (nodes !== undefined && nodes < 2) throw new Error('--nodes must be at least 2 (without it: one gateway, SQLite)');
if (values.accounts !== undefined && nodes === undefined) throw new Error('--accounts needs --nodes');
const cluster: ClusterScheduleOptions | null =
  nodes === undefined
    ? null
    : custom || values.accounts !== undefined || nodes !== DEFAULT_CLUSTER_SCHEDULE.nodes
      ? {
          steps: int(values.steps, 'steps') ?? DEFAULT_CLUSTER_SCHEDULE.steps,
          contacts: Math.max(1, int(values.contacts, 'contacts') ?? DEFAULT_CLUSTER_SCHEDULE.contacts),
          strangers: int(values.strangers, 'strangers') ?? DEFAULT_CLUSTER_SCHEDULE.strangers,
          nodes,
          accounts: Math.max(1, int(values.accounts, 'accounts') ?? DEFAULT_CLUSTER_SCHEDULE.accounts),
          ...(faults ? { faults: faults as FaultKind[] } : {}),
        }
      : DEFAULT_CLUSTER_SCHEDULE;
const schedule: ScheduleOptions = cluster ?? (custom
  ? {
      steps: int(values.steps, 'steps') ?? DEFAULT_SCHEDULE.steps,
      contacts: Math.max(1, int(values.contacts, 'contacts') ?? DEFAULT_SCHEDULE.contacts),
      strangers: int(values.strangers, 'strangers') ?? DEFAULT_SCHEDULE.strangers,
      ...(faults ? { faults: faults as FaultKind[] } : {}),
    }
  : DEFAULT_SCHEDULE);

console.log(
  `chaos: ${runs} schedule(s) from seed ${seed0} (${cluster ? `${cluster.nodes} nodes on one PostgreSQL, ${cluster.accounts} accounts, ` : ''}${schedule.steps} steps, ${schedule.contacts} contacts, ${schedule.strangers} stranger(s), faults: ${schedule.faults ? schedule.faults.join(',') || 'none' : 'all'})`,
);
const results: RunResult[] = [];
const errors: number[] = [];
// Cluster runs share one throwaway PostgreSQL (a fresh database each).
const pgRoot = cluster ? fs.mkdtempSync(path.join(os.tmpdir(), 'wagate-chaos-pg-')) : null;
const server = pgRoot ? await startPostgresIn(pgRoot) : undefined;
for (let i = 0; i < runs; i++) {
  const seed = seed0 + i;
  try {
    const log = values.verbose ? (l: string) => console.log(l) : undefined;
    const r = cluster ? await runClusterSchedule({ seed, schedule: cluster, log, keepHome: values.keep, server }) : await runSchedule({ seed, schedule, log, keepHome: values.keep });
    results.push(r);
    console.log(formatRun(r, schedule));
  } catch (err) {
    // The harness could not run the schedule (a gateway that would not start…): a failed run, not a crash of the others.
    errors.push(seed);
    console.log(`seed ${seed}: ERROR ${(err as Error).stack ?? String(err)}`);
  }
}
await server?.stop();
if (pgRoot) fs.rmSync(pgRoot, { recursive: true, force: true, maxRetries: 5 });
const passed = results.filter((r) => r.violations.length === 0).length;
const messages = results.reduce((a, r) => a + r.messages, 0);
const byKind = new Map<string, number[]>();
for (const r of results) for (const v of r.violations) byKind.set(v.kind, [...new Set([...(byKind.get(v.kind) ?? []), r.seed])]);
console.log(`\nchaos summary: ${passed}/${runs} schedules passed, ${messages} messages checked`);
if (errors.length > 0) console.log(`  harness errors: seeds ${errors.join(', ')}`);
for (const [kind, seeds] of byKind) console.log(`  ${kind}: seeds ${seeds.join(', ')}`);
process.exit(passed === runs ? 0 : 1);
