/**
 * Benchmark (issue 5): the inbound pipeline in-process. The real conversation
 * actors (`startConversation`: reply delivery, access policy with its group
 * history, pairing, receipts, acks, the agent runner with agent dispatch and the
 * echo agent) on a real bus, a temp state dir and a fake connection
 * (bench/pipeline-deps.ts). Every message is one `message.received` emit; latency
 * runs from that emit to `message.accepted` (the access policy let it through) and
 * to `reply.requested` (the runner ran the echo agent and asks for delivery).
 *
 *   DM     sequential: one message at a time, each in its own event-loop turn (latency);
 *          burst: all at once, in one turn (messages/s)
 *   group  each activating @mention follows 50 gated messages, so its history block
 *          has 50 entries (checked); latency is the mention's, messages/s counts all
 *
 * Every case is measured after 3 unmeasured rounds of the same messages on the same
 * pipeline (the steady state; `WAGATE_BENCH_PIPELINE_WARMUP=<rounds>|short`), and DM one
 * at a time also `cold`: after 51 messages only, as a gateway just started.
 *
 * Each case runs on each store of `stores` (default both: SQLite in the temp state dir,
 * and a fresh database on a throwaway local PostgreSQL started for the run, fsync on,
 * as store-ops does; `WAGATE_BENCH_STORES=sqlite` for SQLite alone).
 *
 *   npx tsx bench/pipeline.ts [contacts=50] [perContact=20]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InboundMessage } from '../src/ports/inbound.js';
import { startPostgresIn, type PgServer } from '../test/helpers/postgres-server.js';
import { openPipeline, type Pipeline } from './pipeline-deps.js';
import { percentile, type LatencyStats } from './pipeline-stats.js';
import { formatTable, type Row } from './table.js';
import { runIfMain } from './main.js';

export const GROUP_HISTORY = 50;

export type BenchStore = 'sqlite' | 'postgres';

export const STORE_LABEL: Record<BenchStore, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

/** The stores a benchmark runs on: `WAGATE_BENCH_STORES` (comma-separated), default both. */
export function benchStores(env: Record<string, string | undefined> = process.env): BenchStore[] {
  const picked = (env.WAGATE_BENCH_STORES ?? 'sqlite,postgres').split(',').map((x) => x.trim());
  const stores = (['sqlite', 'postgres'] as const).filter((s) => picked.includes(s));
  return stores.length > 0 ? stores : ['sqlite'];
}

/** A throwaway local PostgreSQL for a benchmark run (fsync on), removed by `stop()`. */
export async function benchPostgres(): Promise<PgServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wagate-bench-pg-'));
  if (process.getuid?.() === 0) fs.chmodSync(dir, 0o755);
  const server = await startPostgresIn(path.join(dir, 'pg'), { fsync: true });
  return {
    ...server,
    async stop() {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PipelineCase {
  label: string;
  store: BenchStore;
  /** Messages emitted (group: gated ones included). */
  messages: number;
  /** Messages that reached the agent (latency samples). */
  samples: number;
  wallMs: number;
  toAccepted: LatencyStats;
  toReply: LatencyStats;
  /** Store write transactions per message emitted (counted until every write of the case settled). */
  commitsPerMessage: number;
  /** Process CPU time (user + system, all threads) per message emitted, µs: less load-sensitive than wall time. */
  cpuUsPerMessage: number;
}

export interface PipelineResult {
  contacts: number;
  perContact: number;
  cases: PipelineCase[];
}

/**
 * Emits the messages in order (when `sequential`, waits for each measured message's
 * reply first). Replies are matched to messages per chat in order: the agent runner
 * runs one turn at a time per session, first come first served.
 */
async function feed(p: Pipeline, msgs: InboundMessage[], measured: Set<string>, sequential: boolean, label: string): Promise<Omit<PipelineCase, 'store'>> {
  const sent = new Map<string, number>();
  const waiting = new Map<string, number[]>();
  const accepted: number[] = [];
  const replied: number[] = [];
  const problems: string[] = [];
  let pending = 0;
  let wake: (() => void) | null = null;
  const offs = [
    p.bus.on('message.accepted', (e) => {
      const t = sent.get(e.message.id);
      if (t === undefined) return;
      // the bus swallows a handler's throw: remember the problem, throw after the run
      const h = e.route.history?.length ?? 0;
      if (e.message.chatType === 'group' && h !== GROUP_HISTORY) problems.push(`history block of ${h} entries, not ${GROUP_HISTORY}`);
      accepted.push(performance.now() - t);
    }),
    p.bus.on('reply.requested', (e) => {
      const t = e.source === 'agent' ? waiting.get(e.chatJid)?.shift() : undefined;
      if (t === undefined) return;
      lastReply = performance.now();
      replied.push(lastReply - t);
      pending -= 1;
      if (pending === 0) wake?.();
    }),
  ];
  // One watchdog for the run (not a timer and a race per message: the harness's own cost
  // would be counted as the pipeline's): no reply for 60 s fails the case.
  let lastReply = performance.now();
  let giveUp: ((err: Error) => void) | null = null;
  const watchdog = setInterval(() => {
    if (pending > 0 && performance.now() - lastReply > 60_000) giveUp?.(new Error(`pipeline ${label}: no reply for 60 s`));
  }, 1000);
  const allReplied = (): Promise<void> =>
    pending === 0
      ? Promise.resolve()
      : new Promise((resolve, reject) => {
          wake = resolve;
          giveUp = reject;
        });
  const start = performance.now();
  const cpuBefore = process.cpuUsage();
  const commitsBefore = p.storeCommits();
  try {
    for (const m of msgs) {
      // One at a time: each message comes in its own turn of the event loop, as a WebSocket
      // frame does (so the store commits between messages, as it would in the gateway).
      if (sequential) await nextTurn();
      const isMeasured = measured.has(m.id);
      const t = performance.now();
      if (isMeasured) {
        pending += 1;
        sent.set(m.id, t);
        const q = waiting.get(m.chatJid) ?? [];
        q.push(t);
        waiting.set(m.chatJid, q);
      }
      p.bus.emit('message.received', { accountId: m.accountId, message: m });
      if (sequential && isMeasured) await allReplied();
    }
    await allReplied();
  } finally {
    clearInterval(watchdog);
    offs.forEach((off) => off());
  }
  const wallMs = performance.now() - start;
  await p.settle();
  const cpu = process.cpuUsage(cpuBefore);
  const commitsPerMessage = (p.storeCommits() - commitsBefore) / msgs.length;
  if (problems.length) throw new Error(`pipeline ${label}: ${problems[0]} (${problems.length} times)`);
  if (accepted.length !== measured.size || replied.length !== measured.size) {
    throw new Error(`pipeline ${label}: ${accepted.length} accepted, ${replied.length} replies of ${measured.size}`);
  }
  return { label, messages: msgs.length, samples: measured.size, wallMs, toAccepted: percentile(accepted), toReply: percentile(replied), commitsPerMessage, cpuUsPerMessage: Math.round((cpu.user + cpu.system) / msgs.length) };
}

/** Warm-up rounds before a measured round: `WAGATE_BENCH_PIPELINE_WARMUP` (a count; `short` = 0), default 3. */
export const WARM_UP_ROUNDS = 3;
function warmUpRounds(env: Record<string, string | undefined> = process.env): number {
  const v = env.WAGATE_BENCH_PIPELINE_WARMUP;
  if (v === undefined || v === '') return WARM_UP_ROUNDS;
  if (v === 'short') return 0;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`WAGATE_BENCH_PIPELINE_WARMUP must be a whole number of rounds or "short", not ${JSON.stringify(v)}`);
  return n;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function benchPipeline({ contacts = 50, perContact = 20, stores = benchStores() }: { contacts?: number; perContact?: number; stores?: BenchStore[] } = {}): Promise<PipelineResult> {
  const cases: PipelineCase[] = [];
  const pgServer = stores.includes('postgres') ? await benchPostgres() : null;
  let store: BenchStore = 'sqlite';
  const run = async (label: string, build: (p: Pipeline) => { msgs: InboundMessage[]; measured: Set<string> }, sequential: boolean, warmRounds = warmUpRounds()) => {
    const p = await openPipeline(store === 'postgres' ? { storeUrl: await pgServer!.createDatabase() } : {});
    try {
      // Warm-up, not measured. By default `WARM_UP_ROUNDS` whole rounds of the same
      // messages, so the measured round is the steady state a long-running gateway is in:
      // V8 keeps optimizing the hot path for the first ~2,000–3,000 messages (its compiler
      // threads' CPU counts in `cpu µs/msg`); one round was not enough (2026-11-29:
      // blocks of 500 DMs went 2,691 → 3,541 → 4,272 → 4,675 → 5,304 → 7,241 msg/s).
      // 0 rounds = the first message of the case plus 50 (`cold`: a gateway just started).
      const warm = build(p);
      if (warmRounds === 0) {
        await feed(p, warm.msgs.slice(0, Math.min(warm.msgs.length, GROUP_HISTORY + 1)), new Set(), sequential, `${label} warm-up`);
      } else {
        await feed(p, warm.msgs, new Set(), sequential, `${label} warm-up`);
        for (let r = 1; r < warmRounds; r++) await feed(p, build(p).msgs, new Set(), sequential, `${label} warm-up`);
      }
      await p.settle();
      const { msgs, measured } = build(p);
      cases.push({ ...(await feed(p, msgs, measured, sequential, label)), store });
    } finally {
      await p.close();
    }
  };
  const dms = (p: Pipeline) => {
    const msgs: InboundMessage[] = [];
    for (let k = 0; k < perContact; k++) for (let c = 0; c < contacts; c++) msgs.push(p.dm(c, `hello ${k}`));
    return { msgs, measured: new Set(msgs.map((m) => m.id)) };
  };
  const groups = (p: Pipeline) => {
    const msgs: InboundMessage[] = [];
    const measured = new Set<string>();
    for (let r = 0; r < contacts; r++) {
      for (let i = 0; i < GROUP_HISTORY; i++) msgs.push(p.groupMessage(0, i % 10, `chatter ${r}.${i}`, false));
      const mention = p.groupMessage(0, 10, `@bot question ${r}`, true);
      measured.add(mention.id);
      msgs.push(mention);
    }
    return { msgs, measured };
  };
  try {
    for (const s of stores) {
      store = s;
      await run(`DM, one at a time, cold (${contacts * perContact}, after 51)`, dms, true, 0);
      await run(`DM, one at a time (${contacts * perContact})`, dms, true);
      await run(`DM, burst of ${contacts * perContact} (${contacts} chats)`, dms, false);
      await run(`group, one at a time (${contacts} x (${GROUP_HISTORY} gated + 1 mention))`, groups, true);
    }
  } finally {
    await pgServer?.stop();
  }
  return { contacts, perContact, cases };
}

export function formatPipeline(r: PipelineResult): string {
  const rows: Row[] = r.cases.map((c) => [
    c.label,
    STORE_LABEL[c.store],
    Math.round((c.messages / c.wallMs) * 1000),
    Math.round((c.samples / c.wallMs) * 1000),
    c.toAccepted.p50,
    c.toAccepted.p99,
    c.toReply.p50,
    c.toReply.p99,
    Number.isNaN(c.commitsPerMessage) ? '-' : Math.round(c.commitsPerMessage * 100) / 100,
    c.cpuUsPerMessage,
  ]);
  return formatTable(
    'pipeline: message.received -> message.accepted / reply.requested, in-process (real actors, echo agent, fake connection)',
    ['', 'store', 'msgs/s', 'replies/s', 'accepted p50 (ms)', 'accepted p99', 'reply.requested p50 (ms)', 'reply.requested p99', 'store commits/msg', 'cpu µs/msg'],
    rows,
  );
}

runIfMain(import.meta.url, async () => {
  const [contacts, perContact] = process.argv.slice(2).map(Number);
  return formatPipeline(await benchPipeline({ contacts: contacts || 50, perContact: perContact || 20 }));
});
