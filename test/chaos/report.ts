/** Printing a chaos run: the seed, the schedule, and each violation with the faults before it. */
import { type RunResult, reproduceCommand } from './engine.js';
import { formatStep, type ScheduleOptions } from './schedule.js';

export function formatRun(r: RunResult, schedule?: ScheduleOptions): string {
  const head = `seed ${r.seed}: ${r.violations.length === 0 ? 'PASS' : `FAIL (${r.violations.length} violation(s))`}, ${r.messages} messages, ${(r.durationMs / 1000).toFixed(1)} s`;
  const lines = [head];
  if (r.violations.length > 0 || r.notes.length > 0) {
    lines.push('  schedule:');
    r.schedule.forEach((s, i) => lines.push(`    ${String(i).padStart(2)} ${formatStep(s)}`));
    for (const v of r.violations) lines.push(`  ✗ ${v.kind}: ${v.detail}${v.faults.length ? `  [faults around it: ${v.faults.join('; ')}]` : ''}`);
    for (const n of r.notes) lines.push(`  note: ${n}`);
    lines.push(`  reproduce: ${r.reproduce ?? reproduceCommand(r.seed, schedule)}`);
  }
  return lines.join('\n');
}
