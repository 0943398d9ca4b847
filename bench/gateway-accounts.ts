/**
 * Benchmark (issue 4 item 7): N accounts from saved creds to connected, through the
 * gateway versus bare Baileys sockets, and resident memory per connected account.
 *
 * This process runs the simulator and links the accounts once (creds in
 * `<tmp home>/credentials/whatsapp/a<i>/`); each side is then measured in a fresh
 * child process (gateway-accounts-child.ts) so the simulator's memory is not
 * counted. The child trusts the simulator through its root public key, passed in
 * WAGATE_BENCH_SIM_ROOT.
 *
 *   npx tsx bench/gateway-accounts.ts [n=50]
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { simRootKey } from '../src/sim/certs.js';
import { startSimulator } from '../src/sim/index.js';
import type { SideResult } from './gateway-accounts-child.js';
import { linkAccounts } from './link-accounts.js';
import { runTsChild } from './node-child.js';
import { formatTable, mib, type Row } from './table.js';

export interface GatewayAccountsResult {
  n: number;
  linkMs: number;
  bare: SideResult;
  gateway: SideResult;
}

export async function benchGatewayAccounts(n = 50): Promise<GatewayAccountsResult> {
  const sim = await startSimulator({ port: 0, host: '127.0.0.1' });
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'wagate-bench-'));
  try {
    const linkStart = performance.now();
    await linkAccounts(sim, home, n);
    const linkMs = Math.round(performance.now() - linkStart);
    const env = {
      WAGATE_BENCH_SIM_URL: sim.url,
      WAGATE_BENCH_SIM_ROOT: Buffer.from(simRootKey().public).toString('base64'),
      WAGATE_BENCH_HOME: home,
    };
    const side = async (name: 'bare' | 'gateway'): Promise<SideResult> => {
      const { code, result } = await runTsChild('bench/gateway-accounts-child.ts', [name, String(n)], { env, timeoutMs: 300_000 });
      if (code !== 0 || !result) throw new Error(`gateway-accounts: the ${name} child failed (exit ${code})`);
      await waitAllOffline(sim, 10_000);
      return result as SideResult;
    };
    const bare = await side('bare');
    const gateway = await side('gateway');
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

const perAccount = (r: SideResult, key: 'rss' | 'heapUsed' | 'external'): number => (r.connected[key] - r.baseline[key]) / r.n;

export function formatGatewayAccounts(r: GatewayAccountsResult): string {
  const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');
  const row = (label: string, b: number, g: number): Row => [label, b, g, ratio(g, b)];
  const rows: Row[] = [
    row('time to all connected (ms)', r.bare.totalMs, r.gateway.totalMs),
    row('median account connected (ms)', r.bare.medianMs, r.gateway.medianMs),
    row('RSS per account (MiB)', mib(perAccount(r.bare, 'rss')), mib(perAccount(r.gateway, 'rss'))),
    row('JS heap per account (MiB)', mib(perAccount(r.bare, 'heapUsed')), mib(perAccount(r.gateway, 'heapUsed'))),
    row('external per account (MiB)', mib(perAccount(r.bare, 'external')), mib(perAccount(r.gateway, 'external'))),
    row('RSS baseline (MiB)', mib(r.bare.baseline.rss), mib(r.gateway.baseline.rss)),
    row('RSS connected (MiB)', mib(r.bare.connected.rss), mib(r.gateway.connected.rss)),
  ];
  const title = `gateway-accounts: ${r.n} accounts from saved creds to connected (linking them first took ${r.linkMs} ms)`;
  return formatTable(title, ['', 'bare Baileys', 'gateway', 'gateway/bare'], rows);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = Number(process.argv[2] ?? process.env.WAGATE_BENCH_ACCOUNTS ?? 50);
  benchGatewayAccounts(n).then(
    (r) => {
      process.stdout.write(formatGatewayAccounts(r));
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
