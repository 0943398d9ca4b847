import { openPipeline } from './pipeline-deps.js';
const p = await openPipeline();
let wake: (() => void) | null = null;
p.bus.on('reply.requested', () => wake?.());
const lat: number[] = [];
const commitsAt: number[] = [];
for (let i = 0; i < 3050; i++) {
  const m = p.dm(i % 50, `hello ${i}`);
  await new Promise((res) => setImmediate(res));
  const c0 = p.storeCommits();
  const t = performance.now();
  const done = new Promise<void>((res) => (wake = res));
  p.bus.emit('message.received', { accountId: m.accountId, message: m });
  await done;
  lat.push(performance.now() - t);
  commitsAt.push(p.storeCommits() - c0);
}
const idx = lat.map((l, i) => [l, i] as const).slice(50).sort((a, b) => b[0] - a[0]).slice(0, 25);
console.log(idx.map(([l, i]) => `${i}:${l.toFixed(2)}ms c${commitsAt[i]}`).join(' '));
const sorted = lat.slice(50).sort((a, b) => a - b);
console.log('p50', sorted[1500]!.toFixed(3), 'p99', sorted[2970]!.toFixed(3), 'commits total', p.storeCommits());
await p.close();
