/**
 * Every benchmark `npm run bench` knows: its name, what it measures, and how to run
 * it once and format its numbers as a table. Sizes come from the environment
 * (run.ts sets them from its flags).
 */
import { benchE2eEcho, formatE2eEcho } from './e2e-echo.js';
import { benchFailover, formatFailover } from './failover.js';
import { benchGatewayAccounts, formatGatewayAccounts } from './gateway-accounts.js';
import { benchMediaInbound, formatMediaInbound } from './media-inbound.js';
import { runMediaImagesBench } from './media-images.js';
import { benchPipeline, formatPipeline } from './pipeline.js';
import { benchSimInbound } from './sim-inbound.js';
import { benchSimLink } from './sim-link.js';
import { benchStoreCrash, formatStoreCrash } from './store-crash.js';
import { benchStoreOps, formatStoreOps } from './store-ops.js';
import { formatTable } from './table.js';

export interface BenchSizes {
  /** Accounts for sim-link and gateway-accounts. */
  accounts: number;
  /** Contacts and messages per contact for sim-inbound, pipeline and e2e-echo. */
  contacts: number;
  perContact: number;
  /** gateway-accounts and e2e-echo: measurement rounds per side (medians are printed). */
  rounds: number;
}

export const DEFAULT_SIZES: BenchSizes = { accounts: 50, contacts: 50, perContact: 20, rounds: 3 };

export const SIZE_ENV: Record<keyof BenchSizes, string> = {
  accounts: 'WAGATE_BENCH_ACCOUNTS',
  contacts: 'WAGATE_BENCH_CONTACTS',
  perContact: 'WAGATE_BENCH_PER_CONTACT',
  rounds: 'WAGATE_BENCH_ROUNDS',
};

export function sizesFromEnv(env: Record<string, string | undefined>): BenchSizes {
  const pick = (k: keyof BenchSizes): number => {
    const v = Number(env[SIZE_ENV[k]]);
    return Number.isInteger(v) && v > 0 ? v : DEFAULT_SIZES[k];
  };
  return { accounts: pick('accounts'), contacts: pick('contacts'), perContact: pick('perContact'), rounds: pick('rounds') };
}

export interface Benchmark {
  name: string;
  about: string;
  run(sizes: BenchSizes): Promise<string>;
  /** How long `npm run bench` lets it run (default 10 minutes). */
  timeoutMs?: number;
}

export const BENCHMARKS: readonly Benchmark[] = [
  {
    name: 'sim-link',
    about: 'link (QR, pair-success, 515, reconnect) and connect N real Baileys clients against one simulator at once',
    async run({ accounts }) {
      const r = await benchSimLink(accounts);
      return formatTable(`sim-link: ${r.n} accounts linked and connected at once`, ['', 'value'], [
        ['accounts', r.n],
        ['wall time until all open (ms)', r.totalMs],
        ['per account (ms)', r.perAccountMs],
      ]);
    },
  },
  {
    name: 'sim-inbound',
    about: 'one Baileys client receiving and decrypting messages from many contacts (pkmsg first, then msg)',
    async run({ contacts, perContact }) {
      const r = await benchSimInbound({ contacts, perContact });
      return formatTable(`sim-inbound: ${r.contacts} contacts x ${r.perContact} messages to one account`, ['', 'msgs/s'], [
        ['first message per contact (pkmsg)', r.pkmsgPerSecond],
        ['following messages (msg)', r.msgPerSecond],
        ['all messages', r.messagesPerSecond],
      ]);
    },
  },
  {
    name: 'gateway-accounts',
    about: 'N accounts from saved creds to connected: gateway vs bare Baileys, time and memory per account',
    async run({ accounts, rounds }) {
      return formatGatewayAccounts(await benchGatewayAccounts(accounts, rounds));
    },
    // 200 accounts took ~10 minutes only to link on a loaded 2-core machine (load 8–10)
    timeoutMs: 45 * 60_000,
  },
  {
    name: 'pipeline',
    about: 'in-process: message.received to message.accepted and reply.requested (real actors, echo agent, fake connection), DM and group with 50 history entries, on SQLite and on a local PostgreSQL (WAGATE_BENCH_STORES)',
    async run({ contacts, perContact }) {
      return formatPipeline(await benchPipeline({ contacts, perContact }));
    },
  },
  {
    name: 'e2e-echo',
    about: 'one account through the simulator: gateway + echo agent vs a bare Baileys echo bot and a bare receive-only client on the same messages (time and ratios); the gateway on SQLite and on a local PostgreSQL',
    async run({ contacts, perContact, rounds }) {
      return formatE2eEcho(await benchE2eEcho({ contacts, perContact, rounds }));
    },
  },
  {
    name: 'failover',
    about: '3 gateway nodes on one PostgreSQL: SIGKILL the owner of some accounts, time until they are all connected elsewhere (median/p90 over rounds)',
    async run({ accounts, rounds }) {
      const lease = Number(process.env.WAGATE_BENCH_LEASE_SECONDS);
      return formatFailover(await benchFailover({ accounts: Math.min(accounts, 15), rounds, leaseSeconds: Number.isInteger(lease) && lease >= 3 ? lease : 10 }));
    },
    timeoutMs: 20 * 60_000,
  },
  {
    name: 'media-images',
    about: 'large photos brought under the media cap: the size x quality search vs a fixed ladder (encodes, time, ratio)',
    async run() {
      return runMediaImagesBench();
    },
  },
  {
    name: 'media-inbound',
    about: 'peak RSS while an inbound 60 MB download is streamed against a 50 MB cap (and a 40 MB one that fits)',
    async run() {
      return formatMediaInbound(await benchMediaInbound());
    },
  },
  {
    name: 'store-ops',
    about: 'store calls per second on SQLite and on a local PostgreSQL, the same workload, many accounts at once',
    async run({ contacts, perContact }) {
      return formatStoreOps(await benchStoreOps(Math.min(contacts, 20), perContact * 5));
    },
  },
  {
    name: 'store-crash',
    about: 'the store under 1,000 SIGKILLs of a child writing creds and multi-key transactions: valid loads, lost confirmed writes, half-applied transactions',
    timeoutMs: 45 * 60_000,
    async run() {
      return formatStoreCrash(await benchStoreCrash());
    },
  },
];

export function findBenchmark(name: string): Benchmark | undefined {
  return BENCHMARKS.find((b) => b.name === name);
}
