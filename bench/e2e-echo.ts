/**
 * Benchmark (issue 5): end to end through the simulator. M contacts send K
 * messages each to one account. The gateway (Baileys transport, dmPolicy open,
 * echo agent) must receive them all and get every echo reply to its contact; a
 * bare Baileys socket on the same account receives and decrypts the same number
 * of messages (the sim-inbound method). Stanzas are encrypted before the clock
 * starts; every contact's session is confirmed by a warm-up message and an answer
 * first, so all measured messages are `msg`, never `pkmsg`.
 *
 * Each receiver runs in its own process (e2e-echo-child.ts); the simulator and the
 * contacts stay here. The two totals still do not do the same work: the gateway
 * also sends M×K replies (encrypting each for two devices) plus read receipts and
 * typing indicators on its own event loop. The comparable figure is the gateway's
 * time until every message was `message.received`. Rounds alternate bare and
 * gateway (bare first); medians print.
 *
 * Two accounts are linked at once, alike: a0 for the bare sides (Baileys' own
 * multi-file auth state in `<home>/bare`), a1 for the gateway (imported into the
 * store of its own home, `<home>/gateway`, before the first round). Each side's
 * Signal sessions with the contacts stay its own from round to round; on one shared
 * account, the sides' states would diverge (the gateway moves the files into its
 * store) and the contacts' sessions would match only one of them. With PostgreSQL among
 * the stores (`WAGATE_BENCH_STORES`, default both), a third account a2 runs the gateway
 * on a throwaway local PostgreSQL (fsync on) started for the run: the `gateway-pg` side,
 * a round of it after each gateway round.
 *
 *   npx tsx bench/e2e-echo.ts [contacts=50] [perContact=20] [rounds=3]
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BinaryNode } from '@whiskeysockets/baileys';
import { startSimulator, type SimContact, type Simulator } from '../src/sim/index.js';
import { directStanza } from '../src/sim/world/messages.js';
import type { EchoSideName } from './e2e-echo-sides.js';
import { openRemote } from './e2e-echo-remote.js';
import { openPostgresStore } from '../src/store/postgres.js';
import { importAuthDir } from '../src/whatsapp/auth-import.js';
import { authDirOf, linkAccounts, prepareGatewayHome } from './link-accounts.js';
import { benchPostgres, benchStores } from './pipeline.js';
import { median } from './pipeline-stats.js';
import { formatTable, type Row } from './table.js';
import { runIfMain } from './main.js';

export interface EchoRound {
  side: EchoSideName;
  /** From the first delivery until the last message reached the receiver. */
  receivedMs: number;
  /** gateway: until the last echo reply reached its contact. */
  repliedMs: number | null;
  /** gateway: echo replies that never reached their contact (none arrived for 15 s). */
  missing: number;
}

export interface E2eEchoResult {
  contacts: number;
  perContact: number;
  linkMs: number;
  rounds: EchoRound[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(ok: () => boolean, what: string, timeoutMs = 180_000, progress?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`e2e-echo: timed out waiting for ${what}${progress ? ` (${progress()})` : ''}`);
    await sleep(5);
  }
}

const textOf = (m: { message: { conversation?: string | null; extendedTextMessage?: { text?: string | null } | null } }): string =>
  m.message.conversation ?? m.message.extendedTextMessage?.text ?? '';

interface EchoAccount {
  home: string;
  id: string;
  /** The account's phone number without '+'. */
  user: string;
  /** gateway-pg: its PostgreSQL database. */
  storeUrl?: string;
}

async function round(sim: Simulator, acc: EchoAccount, people: SimContact[], side: EchoSideName, perContact: number, n: number): Promise<EchoRound> {
  // Each receiver runs in its own process: the simulator (here) must decrypt every
  // gateway reply, and that work is not the gateway's.
  const s = await openRemote(side, acc.home, acc.id, sim.url, acc.storeUrl);
  const user = acc.user;
  try {
    const at = new Map<string, number>();
    s.onReceived((id) => void (at.has(id) || at.set(id, performance.now())));
    const companion = await sim.hub.waitOnline(user, 15_000);
    // warm-up: one message per contact, answered (bare: 'ok'; gateway: its echo)
    const before = people.map((p) => p.inbox.length);
    const warm = await Promise.all(people.map((p) => p.send(`warm-up ${side} ${n}`, { to: user })));
    await until(() => warm.every((id) => at.has(id)), `${side}: warm-up messages`);
    for (const p of people) await s.answer(p.jid);
    await until(() => people.every((p, i) => p.inbox.length > before[i]!), `${side}: warm-up answers`);
    await sleep(500);

    const stamp = Math.floor(Date.now() / 1000);
    const stanzas: BinaryNode[] = [];
    for (const p of people) {
      for (let k = 0; k < perContact; k++) {
        stanzas.push(await directStanza(p, companion, { conversation: `bench ${side} ${n} ${k}` }, { id: sim.hub.nextId(), t: stamp }));
      }
    }
    const ids = stanzas.map((x) => x.attrs.id!);
    const prefix = `echo: bench ${side} ${n} `;
    const echoes = (p: SimContact): number => p.inbox.reduce((c, m) => c + (textOf(m).startsWith(prefix) ? 1 : 0), 0);
    const start = performance.now();
    for (const x of stanzas) sim.hub.deliver(companion.user, x);
    await until(() => ids.every((id) => at.has(id)), `${side}: ${ids.length} messages`);
    const receivedMs = Math.max(...ids.map((id) => at.get(id)!)) - start;
    let repliedMs: number | null = null;
    let missing = 0;
    if (side !== 'bare') {
      // wait for every reply, but stop once none has arrived for 15 s: count the missing ones
      let seen = -1;
      let lastAt = performance.now();
      for (;;) {
        const got = people.reduce((c, p) => c + Math.min(echoes(p), perContact), 0);
        if (got !== seen) [seen, lastAt] = [got, performance.now()];
        if (got === ids.length || performance.now() - lastAt > 15_000) break;
        await sleep(5);
      }
      missing = ids.length - seen;
      repliedMs = lastAt - start;
    }
    return { side, receivedMs: Math.round(receivedMs), repliedMs: repliedMs === null ? null : Math.round(repliedMs), missing };
  } finally {
    await s.stop();
    await until(() => ![...sim.hub.companions.values()].some((c) => c.online), 'the session to go offline', 15_000);
  }
}

export async function benchE2eEcho({ contacts = 50, perContact = 20, rounds = 3 } = {}): Promise<E2eEchoResult> {
  const sim = await startSimulator({ port: 0, host: '127.0.0.1' });
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'wagate-bench-echo-'));
  const pgServer = benchStores().includes('postgres') ? await benchPostgres() : null;
  try {
    const linkStart = performance.now();
    const [a0, a1, a2] = await linkAccounts(sim, path.join(home, 'bare'), pgServer ? 3 : 2);
    const linkMs = Math.round(performance.now() - linkStart);
    await prepareGatewayHome(path.join(home, 'bare'), path.join(home, 'gateway'), [a1!.id]);
    let pgAcc: EchoAccount | null = null;
    if (pgServer) {
      const storeUrl = await pgServer.createDatabase();
      const pg = await openPostgresStore({ url: storeUrl });
      try {
        const r = await importAuthDir({ store: pg, accountId: a2!.id, dir: authDirOf(path.join(home, 'bare'), a2!.id), log: { info: () => undefined, warn: () => undefined } });
        if (!r.imported) throw new Error(`e2e-echo: nothing imported for ${a2!.id}`);
      } finally {
        await pg.close();
      }
      pgAcc = { home: path.join(home, 'gateway-pg'), id: a2!.id, user: a2!.e164.slice(1), storeUrl };
      await fs.mkdir(pgAcc.home, { recursive: true });
    }
    // WAGATE_BENCH_BARE_AUTH=store: the bare sides on the store too (e2e-echo-sides.ts)
    const bareOnStore = process.env.WAGATE_BENCH_BARE_AUTH === 'store';
    if (bareOnStore) await prepareGatewayHome(path.join(home, 'bare'), path.join(home, 'bare-store'), [a0!.id]);
    const bareAcc: EchoAccount = { home: path.join(home, bareOnStore ? 'bare-store' : 'bare'), id: a0!.id, user: a0!.e164.slice(1) };
    const gwAcc: EchoAccount = { home: path.join(home, 'gateway'), id: a1!.id, user: a1!.e164.slice(1) };
    await until(() => ![...sim.hub.companions.values()].some((c) => c.online), 'the linking session to go offline', 15_000);
    const people = Array.from({ length: contacts }, (_, i) => sim.contact(`+1555500${String(i).padStart(4, '0')}`, { name: `E${i}` }));
    const out: EchoRound[] = [];
    for (let n = 0; n < rounds; n++) {
      out.push(await round(sim, bareAcc, people, 'bare', perContact, n));
      out.push(await round(sim, bareAcc, people, 'bare-echo', perContact, n));
      out.push(await round(sim, gwAcc, people, 'gateway', perContact, n));
      if (pgAcc) out.push(await round(sim, pgAcc, people, 'gateway-pg', perContact, n));
    }
    return { contacts, perContact, linkMs, rounds: out };
  } finally {
    await pgServer?.stop();
    await sim.close();
    await fs.rm(home, { recursive: true, force: true });
  }
}

export function formatE2eEcho(r: E2eEchoResult): string {
  const total = r.contacts * r.perContact;
  const of = (side: EchoSideName) => r.rounds.filter((x) => x.side === side);
  const [bare, echo, gw, gwPg] = [of('bare'), of('bare-echo'), of('gateway'), of('gateway-pg')];
  /** Per-round ratio of a gateway figure to a reference figure, as "median (min-max)". */
  const ratio = (f: (g: EchoRound) => number, ref: (i: number) => number, side = gw): string => {
    const rs = side.map((g, i) => f(g) / ref(i));
    const spread = rs.length > 1 ? ` (${Math.min(...rs).toFixed(2)}-${Math.max(...rs).toFixed(2)})` : '';
    return `${median(rs).toFixed(2)}x${spread}`;
  };
  const med = (xs: EchoRound[], f: (x: EchoRound) => number): number => median(xs.map(f));
  const rate = (ms: number): number => Math.round((total / ms) * 1000);
  const bareMs = med(bare, (x) => x.receivedMs);
  const echoRecv = med(echo, (x) => x.receivedMs);
  const echoReply = med(echo, (x) => x.repliedMs!);
  const recvMs = med(gw, (x) => x.receivedMs);
  const replyMs = med(gw, (x) => x.repliedMs!);
  const rows: Row[] = [
    ['bare Baileys: all received + decrypted', bareMs, rate(bareMs), '1.00x', ''],
    ['bare Baileys echo bot: all received', echoRecv, rate(echoRecv), '', ''],
    ['bare Baileys echo bot: all replies at the contacts', echoReply, rate(echoReply), '', '1.00x'],
    ['gateway: all message.received', recvMs, rate(recvMs), ratio((g) => g.receivedMs, (i) => bare[i]!.receivedMs), ratio((g) => g.receivedMs, (i) => echo[i]!.receivedMs)],
    ['gateway: all echo replies at the contacts', replyMs, rate(replyMs), '', ratio((g) => g.repliedMs!, (i) => echo[i]!.repliedMs!)],
  ];
  if (gwPg.length > 0) {
    const pgRecv = med(gwPg, (x) => x.receivedMs);
    const pgReply = med(gwPg, (x) => x.repliedMs!);
    rows.push(
      ['gateway on PostgreSQL: all message.received', pgRecv, rate(pgRecv), ratio((g) => g.receivedMs, (i) => bare[i]!.receivedMs, gwPg), ratio((g) => g.receivedMs, (i) => echo[i]!.receivedMs, gwPg)],
      ['gateway on PostgreSQL: all echo replies at the contacts', pgReply, rate(pgReply), '', ratio((g) => g.repliedMs!, (i) => echo[i]!.repliedMs!, gwPg)],
      ['all echo replies, gateway on PostgreSQL ÷ on SQLite (ratio)', ratio((g) => g.repliedMs!, (i) => gw[i]!.repliedMs!, gwPg), '', '', ''],
    );
  }
  const lost = [...echo, ...gw, ...gwPg].map((g) => `${g.side} ${g.missing}`);
  if ([...echo, ...gw, ...gwPg].some((g) => g.missing > 0)) rows.push(['replies missing per round', lost.join(', '), '', '', '']);
  const title =
    `e2e-echo: ${r.contacts} contacts x ${r.perContact} messages to one account, echo agent, median of ${bare.length} rounds, ` +
    `bare sides on ${process.env.WAGATE_BENCH_BARE_AUTH === 'store' ? "the gateway's store" : 'useMultiFileAuthState'} ` +
    `(linking took ${r.linkMs} ms)`;
  return formatTable(title, ['', 'time (ms)', 'msgs/s', 'vs bare receive-only', 'vs bare echo bot'], rows);
}

runIfMain(import.meta.url, async () => {
  const [contacts, perContact, rounds] = process.argv.slice(2).map(Number);
  return formatE2eEcho(await benchE2eEcho({ contacts: contacts || 50, perContact: perContact || 20, rounds: rounds || 3 }));
});
