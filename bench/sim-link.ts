/**
 * Benchmark: link (QR → pair-success → 515 → reconnect) and connect `n` real
 * Baileys clients against one simulator at once.
 *
 *   npx tsx bench/sim-link.ts [n]
 */
import { startSimServer } from '../src/sim/server/server.js';
import { TestClient } from '../test/sim/helpers/client.js';
import { runIfMain } from './main.js';

export interface SimLinkResult {
  n: number;
  /** Wall time from the first connect until all n accounts are open. */
  totalMs: number;
  perAccountMs: number;
}

export async function benchSimLink(n = 50): Promise<SimLinkResult> {
  const sim = await startSimServer({ port: 0, host: '127.0.0.1' });
  const clients = Array.from({ length: n }, () => new TestClient(sim.url));
  try {
    const started = performance.now();
    await Promise.all(
      clients.map((c, i) => c.link((qr) => sim.phone(`+1555200${String(i).padStart(4, '0')}`).scanQr(qr), 60_000)),
    );
    const totalMs = performance.now() - started;
    const online = [...sim.hub.companions.values()].filter((c) => c.online).length;
    if (online !== n) throw new Error(`only ${online} of ${n} accounts are online`);
    return { n, totalMs: Math.round(totalMs), perAccountMs: Math.round((totalMs / n) * 10) / 10 };
  } finally {
    await Promise.all(clients.map((c) => c.end()));
    await sim.close();
  }
}

runIfMain(import.meta.url, async () => {
  const r = await benchSimLink(Number(process.argv[2] ?? 50));
  return `sim-link: linked and connected ${r.n} accounts in ${r.totalMs} ms (${r.perAccountMs} ms per account)\n`;
});
