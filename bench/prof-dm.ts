import { openPipeline } from './pipeline-deps.js';
const rounds = Number(process.argv[2] ?? 5);
const n = 1000;
const all: number[] = [];
let wall = 0;
let cpu = 0;
let cpu0 = process.cpuUsage();
for (let r = 0; r < rounds; r++) {
  const p = await openPipeline();
  let wake: (() => void) | null = null;
  p.bus.on('reply.requested', () => wake?.());
  const t0 = performance.now();
  for (let i = 0; i < n + 50; i++) {
    const m = p.dm(i % 50, `hello ${i}`);
    await new Promise((res) => setImmediate(res));
    const t = performance.now();
    const done = new Promise<void>((res) => (wake = res));
    p.bus.emit('message.received', { accountId: m.accountId, message: m });
    await done;
    if (i >= 50) all.push(performance.now() - t);
    if (i === 49) { wall -= performance.now(); cpu0 = process.cpuUsage(); }
  }
  wall += performance.now();
  const c = process.cpuUsage(cpu0); cpu += c.user + c.system;
  void t0;
  await p.close();
}
all.sort((a, b) => a - b);
console.log('n', all.length, 'p50', all[Math.floor(all.length * 0.5)]!.toFixed(3), 'p99', all[Math.floor(all.length * 0.99)]!.toFixed(3), 'msg/s', Math.round((all.length / wall) * 1000), 'cpu us/msg', Math.round(cpu / all.length));
