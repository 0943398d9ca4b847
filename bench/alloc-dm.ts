/**
 * What one DM allocates and creates, in `prof-dm`'s world (the pipeline benchmark's
 * actors, SQLite, echo agent), steady state after 300 warm-up DMs:
 * - bytes allocated per DM by function (V8's sampling heap profiler, objects already
 *   collected included), the top 25;
 * - async resources created per DM (promises, timers, immediates: an async_hooks init hook).
 * Deterministic enough to compare two trees (unlike CPU time on a loaded machine).
 *
 *   npx tsx bench/alloc-dm.ts [dms=3000]   (compiled: node <outDir>/bench/alloc-dm.js)
 */
import { createHook } from 'node:async_hooks';
import inspector from 'node:inspector/promises';
import { openPipeline } from './pipeline-deps.js';

const n = Number(process.argv[2] ?? 3000);
const p = await openPipeline();
let wake: (() => void) | null = null;
p.bus.on('reply.requested', () => wake?.());
const one = async (i: number): Promise<void> => {
  const m = p.dm(i % 50, `hello ${i}`);
  await new Promise((res) => setImmediate(res));
  const done = new Promise<void>((res) => (wake = res));
  p.bus.emit('message.received', { accountId: m.accountId, message: m });
  await done;
};
for (let i = 0; i < 300; i++) await one(i);

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}
const session = new inspector.Session();
session.connect();
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 256,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
for (let i = 0; i < n; i++) await one(i);
const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: { head: HeapNode } };
session.disconnect();
const self = new Map<string, number>();
let total = 0;
const walk = (node: HeapNode): void => {
  const cf = node.callFrame;
  const key = `${cf.functionName || '(anonymous)'} ${cf.url.replace(/.*\/(src|bench|node_modules)\//, '$1/')}:${cf.lineNumber + 1}`;
  total += node.selfSize;
  self.set(key, (self.get(key) ?? 0) + node.selfSize);
  for (const c of node.children) walk(c);
};
walk(profile.head);

const created = new Map<string, number>();
let counting = false;
const hook = createHook({
  init(_id, type) {
    if (counting) created.set(type, (created.get(type) ?? 0) + 1);
  },
}).enable();
const m = 1000;
counting = true;
for (let i = 0; i < m; i++) await one(i);
counting = false;
hook.disable();
await p.close();

console.log(`bytes allocated per DM: ${Math.round(total / n)} (${n} DMs)`);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${String(Math.round(v / n)).padStart(8)}  ${k}`);
console.log(`async resources per DM (${m} DMs, this loop's own included): ${[...created].map(([k, v]) => `${k} ${(v / m).toFixed(2)}`).join(', ')}`);
