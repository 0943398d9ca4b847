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
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { simRootKey } from '../src/sim/server/certs.js';
import { startSimulator, type Simulator } from '../src/sim/index.js';
import { storeFile } from '../src/store/sqlite.js';
import type { SideResult } from './gateway-accounts-child.js';
import { bareAuthKind, benchAccountIds, linkAccounts, loadSimCompanions, prepareGatewayHome, saveSimCompanions } from './link-accounts.js';
import { REPO_ROOT, runTsChild } from './node-child.js';
import { formatTable, mib, type Row } from './table.js';
import { runIfMain } from './main.js';

export interface GatewayAccountsResult {
  n: number;
  linkMs: number;
  /** One measurement per round, bare and gateway alternating (bare first). */
  bare: SideResult[];
  gateway: SideResult[];
  /** With WAGATE_BENCH_OTHER_TREE: the gateway of that checkout, one run after each gateway run. */
  other?: { tree: string; gateway: SideResult[] };
}

/** Links `n` accounts into `<home>/bare` and imports them into `<home>/gateway`'s store; the time it took. */
async function linkInto(sim: Simulator, home: string, n: number): Promise<number> {
  const linkStart = performance.now();
  await linkAccounts(sim, path.join(home, 'bare'), n);
  const linkMs = Math.round(performance.now() - linkStart);
  await prepareGatewayHome(path.join(home, 'bare'), path.join(home, 'gateway'), benchAccountIds(n));
  return linkMs;
}

/**
 * WAGATE_BENCH_KEEP_HOME=<dir>: link once and reuse. The first run links into `<dir>`
 * and saves the simulator's companion records there; later runs with the same `n`
 * give those records to their fresh simulator and link nothing (linking 200
 * accounts takes about 10 minutes); a smaller n uses the first n of them. The time
 * reported is the first run's.
 */
async function linkedHome(sim: Simulator, dir: string, n: number): Promise<number> {
  const meta = path.join(dir, 'linked.json');
  const companions = path.join(dir, 'sim-companions.json');
  const saved = await fs.readFile(meta, 'utf8').then((t) => JSON.parse(t) as { n: number; linkMs: number }, () => undefined);
  // A home with more linked accounts serves a smaller n too (its first n accounts).
  if (saved && saved.n >= n) {
    const loaded = await loadSimCompanions(sim, companions);
    if (loaded !== saved.n) throw new Error(`gateway-accounts: ${companions} holds ${loaded} accounts, not ${saved.n}`);
    process.stderr.write(`gateway-accounts: reusing ${n} of the ${saved.n} accounts linked in ${dir}\n`);
    return saved.linkMs;
  }
  if (saved) throw new Error(`gateway-accounts: ${dir} holds ${saved.n} linked accounts, fewer than ${n}: give another WAGATE_BENCH_KEEP_HOME`);
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const linkMs = await linkInto(sim, dir, n);
  await saveSimCompanions(sim, companions);
  await fs.writeFile(meta, JSON.stringify({ n, linkMs }));
  return linkMs;
}

export async function benchGatewayAccounts(n = 50, rounds = 3): Promise<GatewayAccountsResult> {
  const sim = await startSimulator({ port: 0, host: '127.0.0.1' });
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'wagate-bench-'));
  try {
    const keep = process.env.WAGATE_BENCH_KEEP_HOME;
    const linkMs = keep ? await linkedHome(sim, keep, n) : await linkInto(sim, home, n);
    const from = keep ?? home;
    // The bare side on the gateway's kind of store (default): the same creds and keys imported into its own store.
    const bareHome = bareAuthKind() === 'store' ? 'bare-store' : 'bare';
    // (a copy of the gateway's closed store file: importing 200 accounts twice takes minutes).
    // With a kept home each process measures on fresh copies, so every run starts from the same state.
    for (const side of keep ? ['gateway', bareHome] : bareHome === 'bare-store' ? [bareHome] : []) {
      if (side === 'bare') await fs.cp(path.join(from, 'bare'), path.join(home, 'bare'), { recursive: true });
      else {
        await fs.mkdir(path.join(home, side), { recursive: true, mode: 0o700 });
        await fs.copyFile(storeFile(path.join(from, 'gateway')), storeFile(path.join(home, side)));
      }
    }
    // The children load this project's modules compiled, as `wagate` runs them (see gateway-accounts-child.ts).
    const other = process.env.WAGATE_BENCH_OTHER_TREE;
    if (process.env.WAGATE_BENCH_BUILD !== 'src') for (const root of [REPO_ROOT, ...(other ? [other] : [])]) await buildDist(root);
    const env = {
      WAGATE_BENCH_SIM_URL: sim.url,
      WAGATE_BENCH_SIM_ROOT: Buffer.from(simRootKey().public).toString('base64'),
    };
    // WAGATE_BENCH_OTHER_TREE=<dir>: also measure the gateway of another checkout (e.g. main's code), on the same linked accounts.
    const side = async (name: 'bare' | 'gateway', root?: string): Promise<SideResult> => {
      if (keep && name === 'gateway') await fs.copyFile(storeFile(path.join(from, 'gateway')), storeFile(path.join(home, 'gateway')));
      const { code, result } = await runTsChild('bench/gateway-accounts-child.ts', [name, String(n)], {
        env: { ...env, WAGATE_BENCH_HOME: path.join(home, name === 'bare' ? bareHome : name) },
        timeoutMs: 300_000,
        root,
      });
      if (code !== 0 || !result) throw new Error(`gateway-accounts: the ${name} child failed (exit ${code})`);
      await waitAllOffline(sim, 10_000);
      const r = result as SideResult;
      const per = (k: 'rss' | 'heapUsed') => ((r.connected[k] - r.baseline[k]) / r.n / 1024 / 1024).toFixed(3);
      process.stderr.write(`gateway-accounts: ${name}${root ? ` (${root})` : ''}: all connected ${r.totalMs} ms, RSS ${per('rss')} MiB/account, heap ${per('heapUsed')} MiB/account\n`);
      return r;
    };
    const bare: SideResult[] = [];
    const gateway: SideResult[] = [];
    const otherGateway: SideResult[] = [];
    for (let i = 0; i < rounds; i++) {
      bare.push(await side('bare'));
      gateway.push(await side('gateway'));
      if (other) otherGateway.push(await side('gateway', other));
    }
    return { n, linkMs, bare, gateway, ...(other ? { other: { tree: other, gateway: otherGateway } } : {}) };
  } finally {
    await sim.close();
    await fs.rm(home, { recursive: true, force: true });
  }
}

/** `tsc -p tsconfig.build.json` in `root` (the product's own build, into `<root>/dist`). */
async function buildDist(root: string): Promise<void> {
  const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root }, (err, stdout) =>
      err ? reject(new Error(`gateway-accounts: building ${root} failed: ${stdout}`)) : resolve(),
    );
  });
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
    const cells: Row = [label, scale(b), scale(g), b > 0 ? `${(g / b).toFixed(2)}x${spread}` : 'n/a'];
    if (!r.other) return cells;
    const o = median(r.other.gateway.map(metric));
    return [...cells, scale(o), b > 0 ? `${(o / b).toFixed(2)}x` : 'n/a'];
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
  const base: Row = ['', 'bare Baileys', 'gateway', 'gateway/bare (min-max)'];
  const head: Row = r.other ? [...base, `gateway of ${r.other.tree}`, 'that/bare'] : base;
  return formatTable(title, head, rows);
}

runIfMain(import.meta.url, async () => {
  const n = Number(process.argv[2] ?? process.env.WAGATE_BENCH_ACCOUNTS ?? 50);
  const rounds = Number(process.argv[3] ?? process.env.WAGATE_BENCH_ROUNDS ?? 3);
  return formatGatewayAccounts(await benchGatewayAccounts(n, rounds));
});
