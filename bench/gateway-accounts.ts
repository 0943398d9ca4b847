/**
 * Benchmark (issue 4 item 7): N accounts from saved creds to connected, through the
 * gateway versus bare Baileys sockets, and resident memory per connected account.
 *
 * This process runs the simulator and links the accounts once (creds in
 * `<tmp home>/credentials/whatsapp/a<i>/`, the bare side's home) and imports a copy
 * of them into a second home's store for the gateway side (the same creds and keys;
 * the import is not measured); each side is then measured in a fresh
 * child process (gateway-accounts-child.ts) so the simulator's memory is not
 * counted. The child trusts the simulator through its root public key, passed in
 * WAGATE_BENCH_SIM_ROOT.
 *
 *   npx tsx bench/gateway-accounts.ts [n=50] [rounds=3]
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { simRootKey } from '../src/sim/server/certs.js';
import { startSimulator } from '../src/sim/index.js';
import { storeFile } from '../src/store/sqlite.js';
import type { SideResult } from './gateway-accounts-child.js';
import { bareAuthKind, benchAccountIds, linkAccounts, prepareGatewayHome } from './link-accounts.js';
import { runTsChild } from './node-child.js';
import { formatTable, mib, type Row } from './table.js';
import { runIfMain } from './main.js';

export interface GatewayAccountsResult {
  n: number;
  linkMs: number;
  /** One measurement per round, bare and gateway alternating (bare first). */
  bare: SideResult[];
  gateway: SideResult[];
}

export async function benchGatewayAccounts(n = 50, rounds = 3): Promise<GatewayAccountsResult> {
  const sim = await startSimulator({ port: 0, host: '127.0.0.1' });
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'wagate-bench-'));
  try {
    const linkStart = performance.now();
    await linkAccounts(sim, path.join(home, 'bare'), n);
    const linkMs = Math.round(performance.now() - linkStart);
    await prepareGatewayHome(path.join(home, 'bare'), path.join(home, 'gateway'), benchAccountIds(n));
    // The bare side on the gateway's kind of store (default): the same creds and keys imported into its own store.
    const bareHome = bareAuthKind() === 'store' ? 'bare-store' : 'bare';
    // (a copy of the gateway's closed store file: importing 200 accounts twice takes minutes).
    if (bareHome === 'bare-store') {
      await fs.mkdir(path.join(home, bareHome), { recursive: true, mode: 0o700 });
      await fs.copyFile(storeFile(path.join(home, 'gateway')), storeFile(path.join(home, bareHome)));
    }
    const env = {
      WAGATE_BENCH_SIM_URL: sim.url,
      WAGATE_BENCH_SIM_ROOT: Buffer.from(simRootKey().public).toString('base64'),
    };
    const side = async (name: 'bare' | 'gateway'): Promise<SideResult> => {
      const { code, result } = await runTsChild('bench/gateway-accounts-child.ts', [name, String(n)], {
        env: { ...env, WAGATE_BENCH_HOME: path.join(home, name === 'bare' ? bareHome : name) },
        timeoutMs: 300_000,
      });
      if (code !== 0 || !result) throw new Error(`gateway-accounts: the ${name} child failed (exit ${code})`);
      await waitAllOffline(sim, 10_000);
      return result as SideResult;
    };
    const bare: SideResult[] = [];
    const gateway: SideResult[] = [];
    for (let i = 0; i < rounds; i++) {
      bare.push(await side('bare'));
      gateway.push(await side('gateway'));
    }
    return { n, linkMs, bare, gateway };
  } finally {
    await sim.close();
    await fs.rm(home, { recursive: true, force: true });
  }
}

/** The next side must not log in while the last one's sessions still count as online (440). */
async function waitAllOffline(sim: { hub: { companions: ReadonlyMap<string, { online: boolean }> } }, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ([...sim.hub.companions.values()].some((c) => c.online)) {
    if (Date.now() > deadline) throw new Error('gateway-accounts: sessions still online after the child exited');
    await new Promise((r) => setTimeout(r, 20));
  }
}

type Metric = (r: SideResult) => number;
const perAccount = (key: 'rss' | 'heapUsed' | 'external'): Metric => (r) => (r.connected[key] - r.baseline[key]) / r.n;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Medians over the rounds; the spread (min-max) of the ratio shows how noisy the machine was. */
export function formatGatewayAccounts(r: GatewayAccountsResult): string {
  const row = (label: string, metric: Metric, scale: (v: number) => number = Math.round): Row => {
    const b = median(r.bare.map(metric));
    const g = median(r.gateway.map(metric));
    const ratios = r.bare.map((br, i) => metric(r.gateway[i]!) / metric(br)).filter(Number.isFinite);
    const spread = ratios.length > 1 ? ` (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})` : '';
    return [label, scale(b), scale(g), b > 0 ? `${(g / b).toFixed(2)}x${spread}` : 'n/a'];
  };
  const rows: Row[] = [
    row('time to all connected (ms)', (x) => x.totalMs),
    row('median account connected (ms)', (x) => x.medianMs),
    row('RSS per account (MiB)', perAccount('rss'), mib),
    row('JS heap per account (MiB)', perAccount('heapUsed'), mib),
    row('external per account (MiB)', perAccount('external'), mib),
    row('RSS before connecting (MiB)', (x) => x.baseline.rss, mib),
    row('RSS all connected (MiB)', (x) => x.connected.rss, mib),
  ];
  const title =
    `gateway-accounts: ${r.n} accounts from saved creds to connected, median of ${r.bare.length} rounds ` +
    `(linking them first took ${r.linkMs} ms)`;
  return formatTable(title, ['', 'bare Baileys', 'gateway', 'gateway/bare (min-max)'], rows);
}

runIfMain(import.meta.url, async () => {
  const n = Number(process.argv[2] ?? process.env.WAGATE_BENCH_ACCOUNTS ?? 50);
  const rounds = Number(process.argv[3] ?? process.env.WAGATE_BENCH_ROUNDS ?? 3);
  return formatGatewayAccounts(await benchGatewayAccounts(n, rounds));
});
