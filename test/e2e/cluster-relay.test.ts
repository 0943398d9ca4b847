/**
 * One cluster, any door (issue 16 item 3), end to end: two gateway nodes in this process
 * on one throwaway PostgreSQL, the real Baileys client, the simulator, the real CLI.
 *
 * - `wagate channels login` against the node that does not run the account: the QR
 *   codes (or, with `--phone`, the pairing code) come from the owner through the relay,
 *   the simulated phone scans (types) it, the account is linked and connected on its
 *   owner (never on the door).
 * - the control method `agent` through the door: its answer and its event stream.
 * - an account whose owner is dead (a lease held by a node with no heartbeat): `message
 *   send` and `login` through any node fail at once with WAGATE_ERR_NODE_UNREACHABLE
 *   naming it; an account no node has room for: WAGATE_ERR_NO_CAPACITY.
 * - `cluster.nodes` from either node lists every node and the leases it holds.
 * - the inbound ledger across a failover (item 2): a node SIGKILLed while its agent is
 *   thinking leaves the message's entry unfinished (WhatsApp got its ack: it never
 *   delivers it again); the node that takes the lease resumes it and answers it once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/index.js';
import { connectControl } from '../../src/gateway/control-client.js';
import { startGateway, type Gateway } from '../../src/gateway/supervisor.js';
import { readTokenFile } from '../../src/gateway/token.js';
import { silentLogger } from '../../src/log.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres.js';
import { createBaileysTransportFactory } from '../../src/whatsapp/index.js';
import { reapChildren, runCli, spawnCli, type SpawnedCli } from '../helpers/cli.js';
import { postgresForFile, type PgServer } from '../helpers/postgres.js';
import { tmpDir } from '../helpers/tmp.js';
import { cliLinkByQr, e2e, freePort, textOf, until, type E2E } from './harness.js';

const PHONE: Record<string, string> = { a1: '+15550012001', a2: '+15550012002', a4: '+15550012004' };
const LEASE_SECONDS = 3;

let server: PgServer;
postgresForFile((s) => (server = s));

let h: E2E | null = null;
let direct: PostgresStore | null = null;
const nodes: Node[] = [];
const children: SpawnedCli[] = [];
afterEach(async () => {
  await reapChildren(children);
  for (const n of nodes.splice(0).reverse()) await n.gw.stop();
  await direct?.close();
  direct = null;
  await h?.close();
  h = null;
});

interface Node {
  id: string;
  home: string;
  env: Record<string, string>;
  gw: Gateway;
}

/** A node's home: the test's config with this node's port and `cluster` (and `extra` top-level keys). */
async function nodeHome(e: E2E, url: string, id: string, cluster: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const home = tmpDir(`node-${id}`);
  const raw = JSON.parse(fs.readFileSync(e.configPath, 'utf8')) as Record<string, any>;
  raw.gateway = { ...raw.gateway, port: await freePort() };
  raw.cluster = { nodeId: id, leaseSeconds: LEASE_SECONDS, ...cluster };
  Object.assign(raw, extra);
  const configPath = path.join(home, 'wagate.json');
  fs.writeFileSync(configPath, JSON.stringify(raw));
  const env = { WAGATE_HOME: home, HOME: home, WAGATE_STORE_URL: url };
  return { home, raw, configPath, env };
}

/** A cluster node in this process: its own home (config, token), port and nodeId; the simulator and database shared. */
async function startNode(e: E2E, url: string, id: string, cluster: Record<string, unknown>): Promise<Node> {
  const { home, raw, configPath, env } = await nodeHome(e, url, id, cluster);
  const config = validateConfig(raw, configPath);
  const logger = silentLogger();
  const gw = await startGateway({ config, configPath, stateDir: home, env, transport: createBaileysTransportFactory({ config, env, logger }), logger, tickMs: 0 });
  const node = { id, home, env, gw };
  nodes.push(node);
  return node;
}

/** `wagate channels login --json` through `door`; the simulated phone scans the first QR it prints. */
function linkThrough(e: E2E, door: Node, accountId: string) {
  return cliLinkByQr(e.sim, door.env, accountId, PHONE[accountId]!);
}

describe('one cluster, any door', () => {
  it('login and agent through a node that does not run the account; a dead owner and a full cluster are named', async () => {
    const url = await server.createDatabase();
    h = await e2e({
      channels: { whatsapp: { dmPolicy: 'open', allowFrom: ['*'], accounts: { a1: {}, a2: {}, a3: {}, a4: {} } } },
    });
    const e = h;
    // a3's owner died a while ago with a long lease: nobody may take it yet.
    direct = await openPostgresStore({ url });
    const store = direct;
    const t0 = Date.now();
    await store.leases.ensure(['a3']);
    expect(await store.leases.take('ghost', 'a3', t0, 10 * 60_000)).toBe(1);
    await store.leases.heartbeat('ghost', 10, t0 - 60_000);

    // Room for one account each: of a1, a2, a4 one stays unowned.
    const n1 = await startNode(e, url, 'n1', { capacity: 1 });
    const n2 = await startNode(e, url, 'n2', { capacity: 1 });
    const byId = { n1, n2 } as Record<string, Node>;
    const owned = await until(
      async () => {
        const held = (await store.leases.list()).filter((l) => l.owner === 'n1' || l.owner === 'n2');
        return held.length === 2 && held.every((l) => byId[l.owner!]!.gw.accounts.get(l.accountId)?.state === 'unlinked') ? held : null;
      },
      'one unlinked account running on each node',
      30_000,
    );
    const target = owned[0]!;
    const owner = byId[target.owner!]!;
    const door = owner === n1 ? n2 : n1;
    const account = target.accountId;

    // Linking through the door: the owner's QR codes reach the CLI, the phone scans one.
    const linked = await linkThrough(e, door, account);
    expect(linked.code, linked.stderr).toBe(0);
    expect(linked.lines.filter((l) => l.event === 'qr').length).toBeGreaterThan(0);
    expect(linked.lines.at(-1)).toMatchObject({ event: 'linked', accountId: account, e164: PHONE[account] });
    await until(() => owner.gw.accounts.get(account)?.state === 'connected', 'connected on its owner');
    expect(door.gw.accounts.has(account)).toBe(false);

    // The door's own account, linked by pairing code through the other node: the code comes back through the relay.
    const other = owned[1]!.accountId;
    expect(owned[1]!.owner).toBe(door.id);
    const codeLines: any[] = [];
    let entered: Promise<unknown> | null = null;
    const byCode = await runCli(['channels', 'login', '--json', '--account', other, '--phone', PHONE[other]!, '--timeout', '20'], owner.env, {
      onOut: (t) => {
        for (const l of t.trim().split('\n')) {
          const ev = JSON.parse(l);
          codeLines.push(ev);
          if (ev.event === 'code' && !entered) entered = e.sim.phone(PHONE[other]!).enterPairingCode(String(ev.code).replace('-', ''));
        }
      },
    });
    await entered;
    expect(byCode.code, byCode.stderr).toBe(0);
    expect(codeLines.filter((l) => l.event === 'code')).toHaveLength(1);
    expect(codeLines.at(-1)).toMatchObject({ event: 'linked', accountId: other, e164: PHONE[other] });
    await until(() => door.gw.accounts.get(other)?.state === 'connected', 'connected on the door node, its owner');

    // The agent through the door: runs on the owner, its events come back.
    const client = await connectControl({ url: `ws://127.0.0.1:${door.gw.control.port}`, token: readTokenFile(door.home), timeoutMs: 5000 });
    try {
      const events: any[] = [];
      client.onEvent((f) => {
        if (f.event === 'agent') events.push(f.payload);
      });
      const run = await client.request('agent', { accountId: account, message: 'carried agent' });
      expect(run).toMatchObject({ status: 'accepted', runId: expect.any(String) });
      await until(() => events.some((ev) => ev.status === 'ok'), 'the agent run finished');
      expect(events.filter((ev) => ev.runId === run.runId).at(-1)).toEqual({ runId: run.runId, status: 'ok', summary: 'echo: carried agent' });

      // The Nodes view's method, from the door: every node and its leases.
      const { cluster } = await client.request('cluster.nodes', {});
      expect(cluster?.nodeId).toBe(door.id);
      expect(cluster!.nodes.map((n) => [n.nodeId, n.live, n.here, n.capacity])).toEqual([
        ['ghost', false, false, 10],
        ['n1', true, door.id === 'n1', 1],
        ['n2', true, door.id === 'n2', 1],
      ]);
      expect(cluster!.nodes.find((n) => n.nodeId === owner.id)!.accounts).toEqual([{ accountId: account, token: target.token, expiresAt: expect.any(Number) }]);
      expect(cluster!.nodes[0]!.accounts).toEqual([{ accountId: 'a3', token: 1, expiresAt: t0 + 10 * 60_000 }]);
      expect(cluster!.unowned).toHaveLength(1);
    } finally {
      client.close();
    }

    // A dead owner is named, at once, whichever node is asked.
    for (const n of [n1, n2]) {
      const sent = await runCli(['message', 'send', '--account', 'a3', '--to', '+15557770001', '-m', 'x', '--json'], n.env);
      expect(sent.code).not.toBe(0);
      expect(sent.stdout + sent.stderr).toMatch(/WAGATE_ERR_NODE_UNREACHABLE|Node ghost runs account a3 but has not been heard from/);
      expect(sent.stdout + sent.stderr).toContain('start node ghost again');
    }
    const dead = await runCli(['channels', 'login', '--json', '--account', 'a3', '--timeout', '5'], door.env);
    expect(dead.code).toBe(1);
    expect(JSON.parse(dead.stdout.trim().split('\n').at(-1)!)).toMatchObject({ event: 'error', code: 'WAGATE_ERR_NODE_UNREACHABLE' });

    // The account no node has room for: linking it is refused with what to do.
    const unowned = (await store.leases.list()).find((l) => l.accountId !== 'a3' && l.owner === null)!;
    const full = await runCli(['channels', 'login', '--json', '--account', unowned.accountId, '--timeout', '5'], door.env);
    expect(full.code).toBe(1);
    expect(JSON.parse(full.stdout.trim().split('\n').at(-1)!)).toMatchObject({ event: 'error', code: 'WAGATE_ERR_NO_CAPACITY' });
  }, 120_000);

  it('a message left unfinished by a SIGKILLed node is resumed by the node that takes its lease, and answered once', async () => {
    const url = await server.createDatabase();
    h = await e2e({ channels: { whatsapp: { dmPolicy: 'open', allowFrom: ['*'], accounts: { a1: {} } } }, web: { catchUpMinutes: 30 } });
    h.env.WAGATE_STORE_URL = url;
    const e = h;
    // Linked once by an ordinary gateway on the same PostgreSQL.
    const single = await e.startGateway();
    expect((await e.link('a1', PHONE.a1!)).code).toBe(0);
    await until(() => single.accounts.get('a1')?.state === 'connected', 'linked');
    await e.stopGateway();
    await until(() => !e.sim.hub.companions.get(PHONE.a1!.slice(1))?.online, 'offline');
    direct = await openPostgresStore({ url });
    const store = direct;

    // Node a (a child process) runs the account; its agent thinks for a minute.
    const slow = `setTimeout(() => process.stdout.write('slow answer'), 60000)`;
    const a = await nodeHome(e, url, 'a', {}, { agents: { defaults: { model: { provider: 'command', command: [process.execPath, '-e', slow], timeoutMs: 120_000 } } } });
    const child = spawnCli(['gateway'], a.env);
    children.push(child);
    await child.waitFor('wagate gateway listening', 60_000);
    await until(async () => (await store.leases.list()).find((l) => l.accountId === 'a1')?.owner === 'a' && e.sim.hub.companions.get(PHONE.a1!.slice(1))?.online, 'a1 on node a', 60_000);
    // Node b (in this process, the echo agent) joins: nothing is free, it runs nothing.
    const b = await startNode(e, url, 'b', {});
    expect(b.gw.accounts.size).toBe(0);

    const kim = e.sim.contact('+15557773001', { name: 'Kim', to: PHONE.a1 });
    const id = await kim.send('answer me once');
    const entry = async () => (await store.ledger.list()).find((x) => x.messageId === id);
    await until(async () => (await entry())?.state === 'running', 'the agent on node a is thinking', 30_000);
    child.child.kill('SIGKILL');
    await child.exited;

    // b takes the lease once it expires, connects, and resumes the entry a left running.
    await until(async () => (await entry())?.state === 'replied', 'the entry replied by node b', 30_000);
    expect((await store.leases.list()).find((l) => l.accountId === 'a1')).toMatchObject({ owner: 'b', token: 2 });
    await until(() => kim.inbox.map(textOf).includes('echo: answer me once'), 'the answer reaches Kim');
    await b.gw.bus.idle();
    expect(kim.inbox.map(textOf)).toEqual(['echo: answer me once']);
    expect(e.sim.sessionStats(PHONE.a1!).replaced).toBe(0);
  }, 150_000);
});
