import Database from 'better-sqlite3';
import { openPipeline } from './pipeline-deps.js';
const log: string[] = [];
let on = false;
const proto = Database.prototype as unknown as { prepare(sql: string): unknown };
const origPrepare = proto.prepare;
proto.prepare = function (this: unknown, sql: string) {
  const s = origPrepare.call(this, sql) as { run: (...a: unknown[]) => unknown };
  const run = s.run.bind(s);
  (s as { run: unknown }).run = (...a: unknown[]) => { if (on) log.push(sql.replace(/\s+/g, " ").slice(0, 40) + " " + JSON.stringify(a).slice(0, 150) + " " + new Error().stack!.split("\n").slice(2, 9).map((l) => l.trim().replace(/.*\//, "")).join(" < ")); return run(...a); };
  return s;
};
const p = await openPipeline();
let wake: (() => void) | null = null;
p.bus.on('reply.requested', () => wake?.());
for (let i = 0; i < 60; i++) {
  const m = p.dm(i % 50, `hello ${i}`);
  await new Promise((res) => setImmediate(res));
  if (i === 55) on = true;
  const done = new Promise<void>((res) => (wake = res));
  p.bus.emit('message.received', { accountId: m.accountId, message: m });
  await done;
  if (i === 56) on = false;
}
await p.close();
console.log(log.join('\n'));
