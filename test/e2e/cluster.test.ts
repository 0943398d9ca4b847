/**
 * Several gateway nodes on one PostgreSQL (issue 16), end to end: three real
 * `wagate gateway` child processes on loopback, one throwaway PostgreSQL, the
 * simulator, six linked accounts.
 *
 * - The accounts spread 2/2/2, and every node's `channels status` and `debug dump`
 *   show each account's owner and token.
 * - SIGKILL one node: its accounts connect on the other two after the lease expires;
 *   the simulator never saw two live connections of one account (no 440).
 * - SIGSTOP another past its lease: the last node takes its accounts and answers a
 *   message sent meanwhile exactly once. SIGCONT: the woken node finds it lost them,
 *   reconnects none of them on the old lease, and every message is still answered once.
 * - SIGTERM the third: its leases are released before it exits (not left to expire)
 *   and the remaining node takes them, with no account replaced.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres.js';
import type { LeaseRow } from '../../src/store/postgres-leases.js';
import { runCli, spawnCli, type SpawnedCli } from '../helpers/cli.js';
import { postgresForFile, type PgServer } from '../helpers/postgres.js';
import { tmpDir } from '../helpers/tmp.js';
import { e2e, freePort, textOf, until, type E2E } from './harness.js';

const ACCOUNTS = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'] as const;
const PHONE: Record<string, string> = Object.fromEntries(ACCOUNTS.map((id, i) => [id, `+1555001100${i + 1}`]));
const USER = (id: string) => PHONE[id]!.slice(1);
const LEASE_SECONDS = 3;

let server: PgServer;
postgresForFile((s) => (server = s));

let h: E2E | null = null;
let direct: PostgresStore | null = null;
const children: SpawnedCli[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.child.exitCode === null && c.child.signalCode === null) {
      c.child.kill('SIGCONT');
      c.child.kill('SIGKILL');
    }
    await c.exited;
  }
  await direct?.close();
  direct = null;
  await h?.close();
  h = null;
});

interface Node {
  id: string;
  env: Record<string, string>;
  logFile: string;
  proc: SpawnedCli;
}

async function startNode(e: E2E, url: string, id: string): Promise<Node> {
  const home = tmpDir(`node-${id}`);
  const raw = JSON.parse(fs.readFileSync(e.configPath, 'utf8')) as Record<string, any>;
  const logFile = path.join(home, 'wagate.log');
  raw.gateway = { ...raw.gateway, port: await freePort() };
  raw.cluster = { nodeId: id, leaseSeconds: LEASE_SECONDS };
  raw.logging = { file: logFile };
  fs.writeFileSync(path.join(home, 'wagate.json'), JSON.stringify(raw));
  const env = { WAGATE_HOME: home, HOME: home, WAGATE_STORE_URL: url };
  const proc = spawnCli(['gateway'], env);
  children.push(proc);
  return { id, env, logFile, proc };
}

const owners = (leases: LeaseRow[]) => {
  const out: Record<string, string[]> = {};
  for (const l of leases) if (l.owner) (out[l.owner] ??= []).push(l.accountId);
  return out;
};

describe('several gateway nodes on one PostgreSQL', () => {
  it('spread 2/2/2; a killed node\'s accounts move; a paused node loses its accounts and sends nothing on them', async () => {
    const url = await server.createDatabase();
    h = await e2e({
      channels: { whatsapp: { dmPolicy: 'open', allowFrom: ['*'], accounts: Object.fromEntries(ACCOUNTS.map((id) => [id, {}])) } },
    });
    h.env.WAGATE_STORE_URL = url;
    const e = h;
    // Link the six accounts with one ordinary (single-node) gateway on the same PostgreSQL.
    const gw = await e.startGateway();
    for (const id of ACCOUNTS) expect((await e.link(id, PHONE[id]!)).code).toBe(0);
    for (const id of ACCOUNTS) await until(() => gw.accounts.get(id)!.state === 'connected', `${id} connected`, 20_000);
    await e.stopGateway();
    await until(() => ACCOUNTS.every((id) => !e.sim.hub.companions.get(USER(id))?.online), 'every account offline');
    const loginsBefore = Object.fromEntries(ACCOUNTS.map((id) => [id, e.sim.sessionStats(PHONE[id]!).logins]));

    direct = await openPostgresStore({ url });
    const store = direct;
    const nodes = await Promise.all(['n1', 'n2', 'n3'].map((id) => startNode(e, url, id)));
    await Promise.all(nodes.map((n) => n.proc.waitFor('wagate gateway listening', 60_000)));
    const spread = await until(
      async () => {
        const by = owners(await store.leases.list());
        const even = nodes.every((n) => by[n.id]?.length === 2);
        return even && ACCOUNTS.every((id) => e.sim.hub.companions.get(USER(id))?.online) ? by : null;
      },
      'six accounts connected, two on each node',
      60_000,
    );
    const noneReplaced = () => ACCOUNTS.filter((id) => e.sim.sessionStats(PHONE[id]!).replaced > 0);
    expect(noneReplaced()).toEqual([]);

    // Any node shows every account with its owner and token.
    const status = JSON.parse((await runCli(['channels', 'status', '--json'], nodes[0]!.env)).stdout) as {
      accounts: Array<{ accountId: string; state: string; lease?: { owner: string; token: number; here: boolean } }>;
    };
    for (const a of status.accounts) {
      expect(a.lease?.owner).toBe(Object.entries(spread).find(([, ids]) => ids.includes(a.accountId))![0]);
      expect(a.lease!.token).toBeGreaterThan(0);
      expect(a.lease!.here).toBe(a.lease!.owner === 'n1');
      if (!a.lease!.here) expect(a.state).toBe('elsewhere');
    }
    const dump = JSON.parse((await runCli(['debug', 'dump', '--json'], nodes[1]!.env)).stdout) as {
      cluster: { nodeId: string; leases: Array<{ accountId: string; owner: string; token: number; here: boolean }> };
    };
    expect(dump.cluster.nodeId).toBe('n2');
    expect(dump.cluster.leases.filter((l) => l.here).map((l) => l.accountId).sort()).toEqual([...spread.n2!].sort());

    // `message send` through n1 for an account n2 runs is carried to n2 (LISTEN/NOTIFY) and sent once.
    const onN2 = spread.n2![0]!;
    const pat = e.sim.contact('+15557770009', { name: 'Pat', to: PHONE[onN2] });
    const sent = await runCli(['message', 'send', '--account', onN2, '--to', '+15557770009', '-m', 'carried to n2', '--json'], nodes[0]!.env);
    expect(sent.code, sent.stderr).toBe(0);
    expect(JSON.parse(sent.stdout)).toMatchObject({ accountId: onN2, messageIds: [expect.any(String)] });
    await until(() => pat.inbox.map(textOf).includes('carried to n2'), 'the carried message');
    expect(pat.inbox.map(textOf).filter((t) => t === 'carried to n2')).toHaveLength(1);
    // An error on the owner comes back with its code.
    const bad = await runCli(['message', 'send', '--account', onN2, '--to', 'not a number', '-m', 'x', '--json'], nodes[0]!.env);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout + bad.stderr).toMatch(/WAGATE_ERR_BAD_REQUEST/);

    // SIGKILL n1: its accounts connect on n2 and n3 after the lease expires.
    const killed = spread.n1!;
    nodes[0]!.proc.child.kill('SIGKILL');
    await nodes[0]!.proc.exited;
    const afterKill = await until(
      async () => {
        const leases = await store.leases.list();
        const by = owners(leases);
        const moved = killed.every((id) => leases.find((l) => l.accountId === id)!.owner !== 'n1');
        return moved && by.n2?.length === 3 && by.n3?.length === 3 && ACCOUNTS.every((id) => e.sim.hub.companions.get(USER(id))?.online) ? by : null;
      },
      "n1's accounts connected on n2 and n3",
      30_000,
    );
    expect(noneReplaced()).toEqual([]);
    for (const id of killed) expect(e.sim.sessionStats(PHONE[id]!).logins).toBeGreaterThan(loginsBefore[id]! + 1);

    // A message to a moved account is answered once, by its new node.
    const kim = e.sim.contact('+15557770001', { name: 'Kim', to: PHONE[killed[0]!] });
    await kim.send('after the kill');
    await until(() => kim.inbox.map(textOf).includes('echo: after the kill'), 'the reply after the failover', 20_000);

    // SIGSTOP n2 past its lease: n3 takes its accounts and answers meanwhile.
    const paused = afterKill.n2!;
    const n2 = nodes[1]!;
    const loginsAtStop = Object.fromEntries(paused.map((id) => [id, e.sim.sessionStats(PHONE[id]!).logins]));
    n2.proc.child.kill('SIGSTOP');
    await until(
      async () => {
        const leases = await store.leases.list();
        return (
          paused.every((id) => leases.find((l) => l.accountId === id)!.owner === 'n3') &&
          paused.every((id) => e.sim.sessionStats(PHONE[id]!).logins > loginsAtStop[id]!)
        );
      },
      "n2's accounts connected on n3",
      30_000,
    );
    // n2's frozen sockets were still open: WhatsApp replaced each once (the 440 the frozen node reads when it wakes).
    const replacedWhilePaused = Object.fromEntries(paused.map((id) => [id, e.sim.sessionStats(PHONE[id]!).replaced]));
    const lee = e.sim.contact('+15557770002', { name: 'Lee', to: PHONE[paused[0]!] });
    await lee.send('while n2 sleeps');
    await until(() => lee.inbox.map(textOf).includes('echo: while n2 sleeps'), 'the reply while n2 is paused', 20_000);
    const loginsPaused = Object.fromEntries(paused.map((id) => [id, e.sim.sessionStats(PHONE[id]!).logins]));

    n2.proc.child.kill('SIGCONT');
    // n2 notices by its own clock that it lost every account it held.
    await until(
      () => {
        const log = fs.existsSync(n2.logFile) ? fs.readFileSync(n2.logFile, 'utf8') : '';
        return paused.every((id) => log.includes(`lost account ${id}:`));
      },
      'n2 logging that it lost its accounts',
      30_000,
    );
    // It rejoins: the cluster spreads 3/3 again, each move a clean hand-over (socket closed before the lease goes).
    await until(
      async () => {
        const by = owners(await store.leases.list());
        return by.n2?.length === 3 && by.n3?.length === 3 && ACCOUNTS.every((id) => e.sim.hub.companions.get(USER(id))?.online);
      },
      'three accounts on each of n2 and n3 again',
      30_000,
    );
    // No account was replaced again: the woken n2 never reconnected on its old lease.
    for (const id of paused) expect(e.sim.sessionStats(PHONE[id]!).replaced).toBe(replacedWhilePaused[id]);
    expect(ACCOUNTS.filter((id) => !paused.includes(id)).filter((id) => e.sim.sessionStats(PHONE[id]!).replaced > 0)).toEqual([]);
    // Every login after the wake-up came with a newer lease: the count of logins grew only by the accounts that moved back.
    const leases = await store.leases.list();
    for (const id of paused) {
      const l = leases.find((x) => x.accountId === id)!;
      const extra = e.sim.sessionStats(PHONE[id]!).logins - loginsPaused[id]!;
      expect(extra).toBe(l.owner === 'n2' ? 1 : 0);
    }
    // Each message was answered exactly once.
    const ask = e.sim.contact('+15557770003', { name: 'Max', to: PHONE[paused[0]!] });
    await ask.send('after the wake-up');
    await until(() => ask.inbox.map(textOf).includes('echo: after the wake-up'), 'the reply after the wake-up', 20_000);
    expect(kim.inbox.map(textOf).filter((t) => t === 'echo: after the kill')).toHaveLength(1);
    expect(lee.inbox.map(textOf).filter((t) => t === 'echo: while n2 sleeps')).toHaveLength(1);

    // SIGTERM n3: it hands its accounts over at once (released, not left to expire); n2 takes them all.
    const n3 = nodes[2]!;
    const handedOver = owners(await store.leases.list()).n3!;
    const replacedBefore = Object.fromEntries(ACCOUNTS.map((id) => [id, e.sim.sessionStats(PHONE[id]!).replaced]));
    n3.proc.child.kill('SIGTERM');
    expect(await n3.proc.exited).toBe(0);
    expect((await store.leases.list()).filter((l) => l.owner === 'n3')).toEqual([]);
    expect((await store.leases.liveNodes(Date.now(), LEASE_SECONDS * 1000)).map((n) => n.nodeId)).toEqual(['n2']);
    await until(
      async () => (owners(await store.leases.list()).n2?.length === 6 && ACCOUNTS.every((id) => e.sim.hub.companions.get(USER(id))?.online)) || null,
      "n3's accounts on n2 after the SIGTERM",
      30_000,
    );
    for (const id of handedOver) expect(e.sim.sessionStats(PHONE[id]!).replaced).toBe(replacedBefore[id]);
  }, 300_000);
});
