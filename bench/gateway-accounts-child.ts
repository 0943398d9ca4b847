/**
 * One side of the gateway-accounts benchmark, run in its own process by
 * gateway-accounts.ts (never by hand): connects `n` already-linked accounts to the
 * simulator at WAGATE_BENCH_SIM_URL and reports time-to-connected and memory.
 *
 *   bare     N `makeWASocket` with the gateway's socket options, on the gateway's kind of
 *            store (one SQLite store, `useStoreAuthState` per account) — or, with
 *            WAGATE_BENCH_BARE_AUTH=files, on Baileys' own multi-file auth state
 *   gateway  `startGateway` with N accounts and the Baileys transport factory, on its
 *            own home whose store already holds the same creds and keys
 *
 * WAGATE_BENCH_HOME is the side's own home (gateway-accounts.ts prepares both).
 *
 * Memory is measured after a full GC once every account is connected and a settle
 * period has passed, minus the same measurement taken before the first connection.
 */
import './quiet-console.js';
import fs from 'node:fs';
import v8 from 'node:v8';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { installRootKey } from '../src/sim/server/certs.js';
import { REPO_ROOT, reportResult, settledMemory } from './node-child.js';
import { authDirOf, bareAuthKind, benchAccountIds } from './link-accounts.js';

export type Side = 'bare' | 'gateway';

/**
 * Where both sides load this project's own modules from (the store, the auth state, the
 * gateway): `dist` (default: compiled by tsc, as the `wagate` command runs them;
 * gateway-accounts.ts builds it first) or, with WAGATE_BENCH_BUILD=src, the sources
 * through tsx. tsx keeps function names by giving every named arrow function its own
 * `name` property (esbuild's keepNames), about 256 bytes of heap each: thousands per
 * 200 accounts on the gateway side, which a user's gateway never pays.
 */
// `dist/` is the repository's (this file may itself run compiled, from dist-bench/bench/).
const BUILD = process.env.WAGATE_BENCH_BUILD === 'src' ? new URL('../src/', import.meta.url) : pathToFileURL(path.join(REPO_ROOT, 'dist', 'src') + path.sep);
const ours = <T>(file: string): Promise<T> => import(new URL(file, BUILD).href) as Promise<T>;

export interface SideResult {
  side: Side;
  n: number;
  /** From the first connection attempt until every account is connected. */
  totalMs: number;
  medianMs: number;
  baseline: { rss: number; heapUsed: number; external: number };
  connected: { rss: number; heapUsed: number; external: number };
}

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`gateway-accounts-child: ${name} is not set`);
  return v;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function untilAll(ids: string[], isOpen: (id: string) => boolean, start: number, timeoutMs: number): Promise<number[]> {
  const at = new Map<string, number>();
  const deadline = Date.now() + timeoutMs;
  while (at.size < ids.length) {
    for (const id of ids) if (!at.has(id) && isOpen(id)) at.set(id, performance.now() - start);
    if (at.size === ids.length) break;
    if (Date.now() > deadline) throw new Error(`only ${at.size} of ${ids.length} accounts connected after ${timeoutMs} ms`);
    await sleep(5);
  }
  return ids.map((id) => at.get(id)!);
}

async function bare(ids: string[], home: string, url: string, timeoutMs: number): Promise<{ times: number[]; stop: () => Promise<void> }> {
  const { default: makeWASocket, useMultiFileAuthState } = await import('@whiskeysockets/baileys');
  const https = await import('node:https');
  const { pino } = await import('pino');
  const { openSqliteStore, storeFile } = await ours<typeof import('../src/store/sqlite.js')>('store/sqlite.js');
  const { useStoreAuthState } = await ours<typeof import('../src/whatsapp/store-auth-state.js')>('whatsapp/store-auth-state.js');
  const logger = pino({ level: 'silent' });
  await settleBaseline();
  const open = new Set<string>();
  const socks: ReturnType<typeof makeWASocket>[] = [];
  const start = performance.now();
  // As the gateway: one store for every account, opened after the baseline.
  const store = bareAuthKind() === 'store' ? await openSqliteStore({ file: storeFile(home) }) : null;
  const authOf = async (id: string) =>
    store ? useStoreAuthState({ store, accountId: id, log: { warn: () => undefined } }) : useMultiFileAuthState(authDirOf(home, id));
  await Promise.all(
    ids.map(async (id) => {
      const { state, saveCreds } = await authOf(id);
      const sock = makeWASocket({
        waWebSocketUrl: url,
        auth: state,
        logger: logger as never,
        markOnlineOnConnect: false,
        syncFullHistory: false,
        fetchAgent: new https.Agent({ rejectUnauthorized: false }),
        getMessage: async () => undefined,
      });
      socks.push(sock);
      sock.ev.on('creds.update', () => void saveCreds());
      sock.ev.on('connection.update', (u) => {
        if (u.connection === 'open') open.add(id);
        if (u.connection === 'close') open.delete(id);
      });
    }),
  );
  const times = await untilAll(ids, (id) => open.has(id), start, timeoutMs);
  return {
    times,
    stop: async () => {
      socks.forEach((s) => s.end(undefined));
      await store?.close();
    },
  };
}

async function gateway(ids: string[], home: string, url: string, timeoutMs: number): Promise<{ times: number[]; stop: () => Promise<void> }> {
  const { validateConfig } = await ours<typeof import('../src/config/index.js')>('config/index.js');
  const { startGateway } = await ours<typeof import('../src/gateway/supervisor.js')>('gateway/supervisor.js');
  const { silentLogger } = await ours<typeof import('../src/log.js')>('log.js');
  const { createBaileysTransportFactory } = await ours<typeof import('../src/whatsapp/index.js')>('whatsapp/index.js');
  const { bundledVersion } = await ours<typeof import('../src/whatsapp/web-version.js')>('whatsapp/web-version.js');
  // Baileys' bundled WhatsApp Web version, as the bare side announces: no version fetch at start.
  const raw = { web: { url, version: bundledVersion() }, channels: { whatsapp: { accounts: Object.fromEntries(ids.map((id) => [id, {}])) } } };
  const configPath = path.join(home, 'wagate.json');
  const config = validateConfig(raw, configPath);
  const envs = { WAGATE_HOME: home, HOME: home };
  const logger = silentLogger();
  await settleBaseline();
  const start = performance.now();
  const gw = await startGateway({
    config,
    configPath,
    stateDir: home,
    env: envs,
    transport: createBaileysTransportFactory({ config, env: envs, logger }),
    logger,
    port: 0,
  });
  const times = await untilAll(ids, (id) => gw.accounts.get(id)?.state === 'connected', start, timeoutMs);
  return { times, stop: () => gw.stop('benchmark done') };
}

let baseline: SideResult['baseline'] | undefined;
let baselineDetail: Record<string, number> | undefined;
async function settleBaseline(): Promise<void> {
  baseline = await settledMemory();
  if (process.env.WAGATE_BENCH_MEM_DETAIL) baselineDetail = memDetail();
  // WAGATE_BENCH_HEAP_SNAPSHOT_BASELINE=1: a snapshot of the baseline too (`-<side>-baseline`; it grows the RSS measured after).
  const snapshot = process.env.WAGATE_BENCH_HEAP_SNAPSHOT;
  if (snapshot && process.env.WAGATE_BENCH_HEAP_SNAPSHOT_BASELINE) {
    v8.writeHeapSnapshot(snapshot.replace(/(\.heapsnapshot)?$/, `-${process.argv[2]}-baseline$1`));
  }
}

/** KiB: each V8 heap space's committed and used size, heapTotal, and /proc's RssAnon / RssFile. */
function memDetail(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of v8.getHeapSpaceStatistics()) {
    out[`${s.space_name}.size`] = s.space_size / 1024;
    out[`${s.space_name}.used`] = s.space_used_size / 1024;
  }
  const m = process.memoryUsage();
  out.heapTotal = m.heapTotal / 1024;
  out.arrayBuffers = m.arrayBuffers / 1024;
  out.rss = m.rss / 1024;
  try {
    for (const line of fs.readFileSync('/proc/self/status', 'utf8').split('\n')) {
      const [k, v] = line.split(':');
      if (k && v && /^(RssAnon|RssFile|RssShmem|VmData|Threads)$/.test(k)) out[k] = parseInt(v.trim(), 10);
    }
    // File-backed pages by file (`file:<path>`): code and data of libraries touched after the baseline.
    let file = '';
    for (const line of fs.readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
      const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
      if (head) file = head[1] !== '0' ? (head[2] ?? '') : '';
      else if (file && line.startsWith('Rss:')) out[`file:${file}`] = (out[`file:${file}`] ?? 0) + parseInt(line.slice(4).trim(), 10);
    }
  } catch {
    // not Linux
  }
  return out;
}

function diffDetail(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(b).map((k) => [k, Math.round((b[k]! - (a[k] ?? 0)))]));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const side = process.argv[2] as Side;
  const n = Number(process.argv[3]);
  if ((side !== 'bare' && side !== 'gateway') || !(n > 0)) throw new Error('usage: gateway-accounts-child.ts bare|gateway <n>');
  installRootKey(Buffer.from(env('WAGATE_BENCH_SIM_ROOT'), 'base64'));
  const url = env('WAGATE_BENCH_SIM_URL');
  const home = env('WAGATE_BENCH_HOME');
  const settleMs = Number(process.env.WAGATE_BENCH_SETTLE_MS ?? 3000);
  const ids = benchAccountIds(n);
  const run = side === 'bare' ? bare : gateway;
  const { times, stop } = await run(ids, home, url, 180_000);
  await sleep(settleMs);
  const detail0 = baselineDetail;
  const connected = await settledMemory();
  // WAGATE_BENCH_MEM_DETAIL=1: where the RSS went (V8 heap spaces, anonymous vs file-backed pages), on stderr.
  if (detail0) process.stderr.write(`mem-detail ${side}: ${JSON.stringify(diffDetail(detail0, memDetail()), null, 0)}\n`);
  // For finding where the memory goes: a heap snapshot of the settled, connected side.
  const snapshot = process.env.WAGATE_BENCH_HEAP_SNAPSHOT;
  // One file per side: `<file>` with `-bare` / `-gateway` before its extension.
  if (snapshot) (await import('node:v8')).writeHeapSnapshot(snapshot.replace(/(\.heapsnapshot)?$/, `-${side}$1`));
  const result: SideResult = {
    side,
    n,
    totalMs: Math.round(Math.max(...times)),
    medianMs: Math.round(median(times)),
    baseline: baseline!,
    connected,
  };
  reportResult(result);
  await stop();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
