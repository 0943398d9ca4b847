/**
 * What SQL a direct message costs in the pipeline (issue 12 item 5): runs the
 * `pipeline` world (bench/pipeline-deps.ts), lets 50 DMs warm it up, then prints every
 * statement the store runs for the next two DMs, and the statements per DM (savepoints
 * counted apart; better-sqlite3 runs them inside `db.transaction`, not as statements).
 *
 *   npx tsx bench/trace-sql.ts
 */
import Database from 'better-sqlite3';
import { openPipeline } from './pipeline-deps.js';

const log: string[] = [];
let on = false;
let savepoints = 0;
type Runnable = Record<'run' | 'get' | 'all', (...a: unknown[]) => unknown>;
const proto = Database.prototype as unknown as {
  prepare(sql: string): Runnable;
  transaction(fn: (...a: unknown[]) => unknown): (...a: unknown[]) => unknown;
};
const prepare = proto.prepare;
proto.prepare = function (this: unknown, sql: string) {
  const s = prepare.call(this, sql);
  for (const m of ['run', 'get', 'all'] as const) {
    const f = s[m].bind(s);
    s[m] = (...a: unknown[]) => {
      if (on) log.push(`${m} ${sql.replace(/\s+/g, ' ').slice(0, 110)}`);
      return f(...a);
    };
  }
  return s;
};
const transaction = proto.transaction;
proto.transaction = function (this: unknown, fn: (...a: unknown[]) => unknown) {
  const t = transaction.call(this, fn);
  const counted = (...a: unknown[]) => {
    if (on) savepoints += 1;
    return t(...a);
  };
  for (const mode of ['deferred', 'immediate', 'exclusive'] as const) {
    Object.defineProperty(counted, mode, { value: (t as unknown as Record<string, unknown>)[mode] });
  }
  return counted;
};

const p = await openPipeline();
let wake: (() => void) | null = null;
p.bus.on('reply.requested', () => wake?.());
for (let i = 0; i < 52; i++) {
  const m = p.dm(i % 50, `hello ${i}`);
  await new Promise((res) => setImmediate(res));
  if (i === 50) on = true;
  const done = new Promise<void>((res) => (wake = res));
  p.bus.emit('message.received', { accountId: m.accountId, message: m });
  await done;
}
await new Promise((res) => setImmediate(res));
on = false;
await p.close();
console.log(log.join('\n'));
console.log(`\nper DM: ${log.length / 2} statements (BEGIN and COMMIT included), ${savepoints / 2} savepoints`);
