/**
 * The chaos engine across nodes (issue 16): one seeded cluster schedule
 * (`generateClusterSchedule`) against N real gateway nodes — child processes, so they can
 * be SIGKILLed — on one throwaway PostgreSQL, one simulator, several linked accounts and
 * an OpenAI-compatible test agent per node (so the harness knows which node asked).
 * Node faults pick their node at run time: the one holding an account's lease (read from
 * the `leases` table), or the one that runs a message (its agent request) or sends a
 * reply. The invariants are those of the single-node engine (invariants.ts), checked at
 * the contacts' phones, plus: the simulator never replaced one connection of an account
 * by another (two live connections, a 440). Independent of vitest: the CI slice
 * (`chaos-cluster.test.ts`) and `npm run chaos -- --nodes N` both call `runClusterSchedule`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startSimulator, type SimContact, type Simulator } from '../../src/sim/index.js';
import { runCli } from '../helpers/cli.js';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai.js';
import { freePort } from '../helpers/net.js';
import { startPostgresIn, type PgServer } from '../helpers/postgres-server.js';
import { until } from '../helpers/until.js';
import { chaosAgent, GatewayChild, REPLY_PREFIX, sendNumbered, textOfReceived, type AgentFaults, type RunResult } from './engine.js';
import { AUDIT, checkInvariants, type Sent, type Violation } from './invariants.js';
import { DEFAULT_CLUSTER_SCHEDULE, formatStep, generateClusterSchedule, type ClusterScheduleOptions } from './schedule.js';

/** Short leases, so a SIGKILLed node's accounts move within seconds. */
export const LEASE_SECONDS = 3;
const START_TIMEOUT_MS = 90_000;
const QUIET_MS = 6_000;
const FINAL_WAIT_MS = 60_000;

const accountId = (a: number) => `a${a + 1}`;
const phoneOf = (a: number) => `+1555930${String(1000 + a)}`;
const userOf = (a: number) => phoneOf(a).slice(1);

export interface ClusterRunOptions {
  seed: number;
  schedule?: ClusterScheduleOptions;
  log?: (line: string) => void;
  /** Keep the state dirs (nodes' homes and logs; PostgreSQL's data is removed with its server). */
  keepHome?: boolean;
  /** A running PostgreSQL server to create this run's database on (the CI slice shares one per file); default: a throwaway one for the run. */
  server?: PgServer;
}

export function reproduceClusterCommand(seed: number, s: ClusterScheduleOptions = DEFAULT_CLUSTER_SCHEDULE): string {
  const size = s === DEFAULT_CLUSTER_SCHEDULE ? '' : ` --steps ${s.steps} --contacts ${s.contacts} --strangers ${s.strangers} --accounts ${s.accounts}`;
  const extra = s.faults ? `${size} --faults ${s.faults.join(',') || 'none'}` : size;
  return `npm run chaos -- --nodes ${s.nodes} --runs 1 --seed ${seed}${extra}`;
}

/** One gateway node: a child process (`wagate gateway`) with its own home, port and nodeId. */
class Node extends GatewayChild {
  /** Whether the harness stopped it (and has not started it again). */
  stopped = false;

  constructor(
    readonly id: string,
    env: Record<string, string>,
  ) {
    super(env);
  }

  override start(): void {
    super.start();
    this.stopped = false;
  }

  override stop(signal: NodeJS.Signals, timeoutMs?: number): Promise<boolean> {
    this.stopped = true;
    return super.stop(signal, timeoutMs);
  }
}

export async function runClusterSchedule(opts: ClusterRunOptions): Promise<RunResult> {
  const started = Date.now();
  const so = opts.schedule ?? DEFAULT_CLUSTER_SCHEDULE;
  if (so.nodes < 2) throw new Error('a cluster schedule needs at least 2 nodes');
  const schedule = generateClusterSchedule(opts.seed, so);
  const log = opts.log ?? (() => undefined);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wagate-chaos-cluster-'));
  let ownServer: PgServer | null = null;
  let db: pg.Client | null = null;
  let sim: Simulator | null = null;
  const agents: FakeOpenAi[] = [];
  const nodes: Node[] = [];
  const notes: string[] = [];
  try {
    const server = opts.server ?? (ownServer = await startPostgresIn(path.join(root, 'pg')));
    const url = await server.createDatabase();
    sim = await startSimulator({ port: 0, host: '127.0.0.1', now: () => Date.now() });
    const accounts = Array.from({ length: so.accounts }, (_, a) => a);
    const approved = Array.from({ length: so.contacts }, (_, i) => `+1555800${String(1000 + i)}`);
    const strangers = Array.from({ length: so.strangers }, (_, i) => `+1555900${String(1000 + i)}`);
    const accountOfContact = (c: number) => (c < so.contacts ? c : c - so.contacts) % so.accounts;
    const baseConfig = (agentUrl: string) => ({
      web: { url: sim!.url, versionUrl: sim!.versionUrl, catchUpMinutes: 30, reconnect: { initialMs: 250, maxMs: 2000, maxAttempts: 0 } },
      store: { kind: 'postgres' },
      channels: { whatsapp: { dmPolicy: 'pairing', allowFrom: approved, accounts: Object.fromEntries(accounts.map((a) => [accountId(a), {}])) } },
      session: { scope: 'per-sender' },
      agents: { list: [{ id: 'main', model: { provider: 'openai', baseUrl: agentUrl, model: 'chaos', timeoutMs: 60_000 } }] },
    });

    // Link every account in-process (no node runs yet), in a home of its own on the same database.
    const linkHome = path.join(root, 'link');
    fs.mkdirSync(linkHome);
    fs.writeFileSync(path.join(linkHome, 'wagate.json'), JSON.stringify({ ...baseConfig('http://127.0.0.1:9/v1'), gateway: { port: await freePort() } }));
    for (const a of accounts) await link(sim, a, { WAGATE_HOME: linkHome, HOME: linkHome, WAGATE_STORE_URL: url });

    // The agents: one per node, answering `re <token>` unless a fault is armed.
    const faults: AgentFaults = { slow: [], crash: 0, killInAgent: false };
    let lastActivity = Date.now();
    const answer = (node: Node) =>
      chaosAgent({
        faults,
        log,
        who: `@${node.id}`,
        kill: () => {
          node.stopped = true;
          node.kill('SIGKILL');
        },
        onRequest: () => (lastActivity = Date.now()),
      });
    for (let i = 0; i < so.nodes; i++) {
      const id = `n${i + 1}`;
      const home = path.join(root, id);
      fs.mkdirSync(home);
      const agent = await startFakeOpenAi();
      agents.push(agent);
      const config = {
        ...baseConfig(agent.baseUrl),
        gateway: { port: await freePort() },
        cluster: { nodeId: id, capacity: so.accounts, leaseSeconds: LEASE_SECONDS },
        logging: { file: path.join(home, 'gateway.log'), level: 'debug' },
      };
      fs.writeFileSync(path.join(home, 'wagate.json'), JSON.stringify(config));
      const node = new Node(id, { WAGATE_HOME: home, HOME: home, WAGATE_STORE_URL: url, WAGATE_FFMPEG: process.env.WAGATE_FFMPEG ?? 'bundled' });
      agent.reply = answer(node);
      nodes.push(node);
    }
    db = new pg.Client({ connectionString: url });
    await db.connect();
    const leases = async () =>
      new Map(((await db!.query('SELECT account_id, owner FROM leases')).rows as Array<{ account_id: string; owner: string | null }>).map((r) => [r.account_id, r.owner]));
    const nodeById = (id: string | null | undefined) => nodes.find((n) => n.id === id) ?? null;
    /** The running node that holds account `a`'s lease, once there is one (its socket open at the simulator). */
    const ownerOf = async (a: number, timeoutMs = 30_000): Promise<Node> =>
      until(
        async () => {
          const n = nodeById((await leases()).get(accountId(a)));
          return n?.running && online(a) ? n : null;
        },
        `a running node holding account#${a} and connected`,
        timeoutMs,
      );

    const contacts: SimContact[] = [...approved, ...strangers].map((e164, i) => sim!.contact(e164, { name: `C${i}`, to: phoneOf(accountOfContact(i)) }));
    let killInSend = false;
    contacts.forEach((c, ci) => {
      const receive = c.receive.bind(c);
      c.receive = (m) => {
        receive(m);
        lastActivity = Date.now();
        if (killInSend) {
          killInSend = false;
          // The node that sent it: the one holding the account's lease (and its socket) now.
          void leases().then((l) => {
            const n = nodeById(l.get(accountId(accountOfContact(ci))));
            log(`  ! SIGKILL ${n?.id ?? '(none)'} right after contact#${ci} received a reply`);
            if (n) {
              n.stopped = true;
              n.kill('SIGKILL');
            }
          });
        }
      };
    });

    const online = (a: number) => sim!.hub.companions.get(userOf(a))?.online === true;
    const allOnline = () => accounts.every(online);
    const startNode = async (n: Node) => {
      // A node's control port is fixed in its config; while it is down, the kernel may hand
      // that port to an outgoing connection (an ephemeral source port): then take another.
      for (let attempt = 1; ; attempt++) {
        n.start();
        await until(() => n.stdout.includes('wagate gateway listening') || !n.running, `${n.id} started`, START_TIMEOUT_MS);
        if (n.running) return;
        await n.exited;
        if (attempt >= 3 || !n.stderr.includes('EADDRINUSE')) throw new Error(`node ${n.id} exited while starting:\n${n.stderr}`);
        const file = path.join(n.env.WAGATE_HOME!, 'wagate.json');
        const config = JSON.parse(fs.readFileSync(file, 'utf8')) as { gateway: { port: number } };
        config.gateway.port = await freePort();
        fs.writeFileSync(file, JSON.stringify(config));
        notes.push(`${n.id}: its control port was taken while it was down; restarted on ${config.gateway.port}`);
      }
    };

    await Promise.all(nodes.map(startNode));
    await until(allOnline, 'every account connected on some node', START_TIMEOUT_MS);
    log(`  leases: ${JSON.stringify(Object.fromEntries(await leases()))}`);

    const sent: Sent[] = [];
    const perContact = new Map<number, number>();
    for (const [i, step] of schedule.entries()) {
      log(` ${String(i).padStart(2)} ${formatStep(step)}`);
      switch (step.kind) {
        case 'send':
          sent.push(await sendNumbered(step, i, { contacts, perContact, knownContacts: so.contacts, up: () => online(accountOfContact(step.contact)) }));
          break;
        case 'node-kill':
        case 'node-term': {
          const n = await ownerOf(step.account);
          log(`    → ${n.id}`);
          const clean = await n.stop(step.kind === 'node-kill' ? 'SIGKILL' : 'SIGTERM');
          const note = step.kind === 'node-term' ? n.stopNote(`step ${i}, ${n.id}`, clean) : null;
          if (note) notes.push(note);
          break;
        }
        case 'kill-in-agent':
          faults.killInAgent = true;
          break;
        case 'kill-in-send':
          killInSend = true;
          break;
        case 'node-start': {
          if (faults.killInAgent || killInSend) {
            // An armed kill whose trigger never came (its message not run or answered in time).
            const down = nodes.filter((n) => n.stopped).length;
            try {
              await until(() => nodes.filter((n) => n.stopped).length > down, 'the armed kill', 30_000);
            } catch {
              notes.push(`step ${i}: the armed kill did not fire within 30 s; disarmed`);
              faults.killInAgent = false;
              killInSend = false;
            }
          }
          const n = nodes.find((x) => x.stopped);
          if (!n) {
            notes.push(`step ${i}: no stopped node to start`);
            break;
          }
          await n.exited;
          if (step.downtimeMs > 0) await new Promise((r) => setTimeout(r, step.downtimeMs));
          log(`    → ${n.id}`);
          await startNode(n);
          break;
        }
        case 'account-drop': {
          await ownerOf(step.account);
          const user = userOf(step.account);
          if (step.code === 428) sim.drop(user);
          else sim.kick(user, step.code);
          await until(() => !online(step.account), 'the connection dropped', 10_000);
          break;
        }
        case 'slow-agent':
          for (let k = 0; k < step.count; k++) faults.slow.push(step.ms);
          break;
        case 'agent-crash':
          faults.crash += 1;
          break;
        default:
          throw new Error(`a single-node step in a cluster schedule: ${formatStep(step)}`);
      }
    }
    faults.killInAgent = false;
    killInSend = false;
    for (const n of nodes) if (!n.running) await startNode(n);
    await until(allOnline, 'every account connected at the end', START_TIMEOUT_MS);

    const owed = () => sent.every((s) => contacts[s.contact]!.inbox.length > 0 && (s.stranger || contacts[s.contact]!.inbox.some((m) => textOfReceived(m) === `${REPLY_PREFIX}${s.token}`)));
    await until(owed, 'every reply owed', FINAL_WAIT_MS).catch(() => notes.push(`not every reply came within ${FINAL_WAIT_MS / 1000} s`));
    await until(() => Date.now() - lastActivity >= QUIET_MS, 'quiet', 60_000).catch(() => notes.push('the cluster never went quiet'));
    const audit = AUDIT ? await AUDIT(nodes[0]!.env) : null;
    log(`  leases at the end: ${JSON.stringify(Object.fromEntries(await leases()))}`);
    for (const n of nodes) {
      const note = n.stopNote(`the final stop of ${n.id}`, await n.stop('SIGTERM'));
      if (note) notes.push(note);
    }
    const violations: Violation[] = checkInvariants({ sent, contacts, strangersFrom: so.contacts, schedule, audit });
    // Never two live connections of one account: the simulator replaced none (no 440).
    for (const a of accounts) {
      const replaced = sim.sessionStats(phoneOf(a)).replaced;
      if (replaced > 0) violations.push({ kind: 'replaced', detail: `account#${a}: the simulator replaced a live connection ${replaced} time(s) (two nodes connected at once)`, faults: [] });
    }
    return {
      seed: opts.seed,
      schedule,
      messages: sent.length,
      violations,
      notes,
      durationMs: Date.now() - started,
      stderrTail: nodes.map((n) => `[${n.id}] ${n.stderr.slice(-2000)}`).join('\n'),
      reproduce: reproduceClusterCommand(opts.seed, so),
    };
  } finally {
    for (const n of nodes) n.kill('SIGKILL');
    for (const n of nodes) await n.exited;
    await db?.end().catch(() => undefined);
    for (const a of agents) await a.close();
    await sim?.close();
    await ownServer?.stop();
    if (opts.keepHome) log(`state dir kept: ${root}`);
    else fs.rmSync(root, { recursive: true, force: true, maxRetries: 5 });
  }
}

/** `wagate channels login --account` in-process; the account's simulated phone scans the first QR. */
async function link(sim: Simulator, a: number, env: Record<string, string>): Promise<void> {
  let scanned = false;
  const res = await runCli(['channels', 'login', '--json', '--account', accountId(a), '--timeout', '30'], env, {
    onOut: (t) => {
      for (const l of t.trim().split('\n')) {
        const ev = JSON.parse(l) as { event?: string; qr?: string };
        if (ev.event === 'qr' && ev.qr && !scanned) {
          scanned = true;
          void sim.phone(phoneOf(a)).scanQr(ev.qr);
        }
      }
    },
  });
  if (res.code !== 0) throw new Error(`linking ${accountId(a)} failed: ${res.stderr}`);
}
