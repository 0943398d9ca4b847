/**
 * The chaos engine: one seeded schedule against the real gateway process (a child,
 * so it can be SIGKILLed), the simulator and the real Baileys client, with an
 * OpenAI-compatible test agent on 127.0.0.1 whose latency and failures the schedule
 * controls. Independent of vitest: `test/chaos/chaos.test.ts` (the CI slice) and
 * `npm run chaos` (test/chaos/run.ts) both call `runSchedule`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimulator, type SimContact, type Simulator } from '../../src/sim/index.js';
import { runCli } from '../helpers/cli.js';
import { startFakeOpenAi, type FakeOpenAi, type FakeOpenAiReply, type FakeOpenAiRequest } from '../helpers/fake-openai.js';
import { freePort } from '../helpers/net.js';
import { until } from '../helpers/until.js';
import { AUDIT, checkInvariants, type Sent, type Violation } from './invariants.js';
import { DEFAULT_SCHEDULE, formatStep, generateSchedule, type ScheduleOptions, type Step } from './schedule.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../..');
const BOT = '+15550009300';
const BOT_USER = BOT.slice(1);
/** A child gateway (tsx compiles it) on a loaded 2-core machine: generous. */
const START_TIMEOUT_MS = 60_000;
/** After the last expected reply: this long with no new message to a contact and no agent request. */
const QUIET_MS = 6_000;
/** How long the end of a run waits for the replies still owed. */
const FINAL_WAIT_MS = 45_000;

export interface RunOptions {
  seed: number;
  schedule?: ScheduleOptions;
  /** Progress lines (the step being applied); default: none. */
  log?: (line: string) => void;
  /** Keep the gateway's state dir (store, config) after the run, for a post-mortem. */
  keepHome?: boolean;
}

export interface RunResult {
  seed: number;
  schedule: Step[];
  /** Messages the contacts sent (each one checked). */
  messages: number;
  violations: Violation[];
  /** What the harness itself noticed (an armed kill that never fired, a slow stop…). */
  notes: string[];
  durationMs: number;
  /** The gateway's stderr tail, for a failed run. */
  stderrTail: string;
  /** The command that runs this schedule again, when not `reproduceCommand(seed, schedule)` (cluster runs). */
  reproduce?: string;
}

export const tokenOf = (contact: number, n: number) => `m:c${contact}:${n}`;
export const REPLY_PREFIX = 're ';

/** The command that runs this schedule again. */
/** What the fake agent is armed to do wrong next (a schedule's agent faults). */
export interface AgentFaults {
  /** Delays (ms) for the next replies, one each. */
  slow: number[];
  /** How many next requests fail with a 500. */
  crash: number;
  /** SIGKILL the gateway (via `kill`) while the next request is being answered. */
  killInAgent: boolean;
}

/**
 * The chaos agent (both engines): answers `re <token>` for the token in the last user
 * message, unless a fault is armed. `who` tags its log lines (a node's `@n1`).
 */
export function chaosAgent(o: { faults: AgentFaults; log: (line: string) => void; who: string; kill: () => void; onRequest: () => void }): (req: FakeOpenAiRequest) => FakeOpenAiReply {
  return (req) => {
    o.onRequest();
    const last = [...(req.body.messages ?? [])].reverse().find((m) => m.role === 'user')?.content ?? '';
    const token = /m:c\d+:\d+/.exec(last)?.[0] ?? '?';
    o.log(`  agent${o.who} ← ${JSON.stringify(last.slice(-120))}`);
    if (o.faults.killInAgent) {
      o.faults.killInAgent = false;
      o.log(`  ! SIGKILL${o.who ? ` ${o.who.slice(1)}` : ''} while the agent runs ${token}`);
      o.kill();
      return { kind: 'hang' };
    }
    if (o.faults.crash > 0) {
      o.faults.crash -= 1;
      o.log(`  ! agent fails on ${token}`);
      return { kind: 'error', status: 500, body: '{"error":{"message":"chaos: the agent crashed"}}' };
    }
    const slow = o.faults.slow.shift();
    return { kind: 'stream', chunks: [`${REPLY_PREFIX}${token}`], delayMs: slow ? Math.ceil(slow / 2) : 0 };
  };
}

export function reproduceCommand(seed: number, schedule: ScheduleOptions = DEFAULT_SCHEDULE): string {
  const size = schedule === DEFAULT_SCHEDULE ? '' : ` --steps ${schedule.steps} --contacts ${schedule.contacts} --strangers ${schedule.strangers}`;
  const extra = schedule.faults ? `${size} --faults ${schedule.faults.join(',') || 'none'}` : size;
  return `npm run chaos -- --runs 1 --seed ${seed}${extra}`;
}

/**
 * A `send` step of either engine: after its pause, the contact sends its next numbered
 * message (a stranger's says so); what the invariants check of it, `up` read once it is sent.
 */
export async function sendNumbered(
  step: Extract<Step, { kind: 'send' }>,
  index: number,
  ctx: { contacts: SimContact[]; perContact: Map<number, number>; knownContacts: number; up: () => boolean },
): Promise<Sent> {
  if (step.pauseMs > 0) await new Promise((r) => setTimeout(r, step.pauseMs));
  const n = (ctx.perContact.get(step.contact) ?? 0) + 1;
  ctx.perContact.set(step.contact, n);
  const token = tokenOf(step.contact, n);
  const stranger = step.contact >= ctx.knownContacts;
  await ctx.contacts[step.contact]!.send(`${token} (${stranger ? 'stranger' : 'hello'})`);
  return { contact: step.contact, n, token, step: index, stranger, gatewayUp: ctx.up() };
}

/** A SIGTERM'd gateway that takes longer than this to exit is noted (gateway.drainSeconds 5 s + the stop's 10 s margin + the process's start of exit). */
export const SLOW_STOP_MS = 17_000;

/**
 * What the gateway's log says of its last stop (src/gateway/stop-phases.ts): its slow or
 * abandoned phases, or the phase it never got past. For the harness's notes on a slow stop.
 */
export function lastStopReport(logFile: string): string {
  let lines: string[];
  try {
    lines = fs.readFileSync(logFile, 'utf8').split('\n');
  } catch {
    return 'no gateway log';
  }
  const entries = lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as { msg?: string; phase?: string; ms?: number; boundMs?: number; time?: number }];
    } catch {
      return [];
    }
  });
  const from = entries.map((e) => e.msg).lastIndexOf('gateway stopping');
  if (from === -1) return 'the log has no stop';
  const stop = entries.slice(from);
  const phases = stop.filter((e) => e.phase !== undefined);
  const slow = phases.filter((e) => (e.ms ?? 0) >= 1000 || e.boundMs !== undefined).map((e) => `${e.phase} ${e.ms} ms${e.boundMs !== undefined ? ' (left behind at its bound)' : ''}`);
  const done = stop.find((e) => e.msg === 'gateway stopped');
  const head = done ? `stopped in ${done.ms} ms` : `never finished; last phase done: ${phases.at(-1)?.phase ?? '(none)'}`;
  return slow.length > 0 ? `${head}; slow phases: ${slow.join(', ')}` : head;
}

/** A `wagate gateway` child process the harness signals, with the tails of its output. */
export class GatewayChild {
  child: ChildProcess | null = null;
  exited: Promise<unknown> = Promise.resolve();
  stderr = '';
  stdout = '';
  /** How long the last `stop()` took until the process exited (ms). */
  lastStopMs = 0;

  constructor(readonly env: Record<string, string>) {}

  /** Its log file (the chaos configs write one per home). */
  get logFile(): string {
    return path.join(this.env.WAGATE_HOME ?? '', 'gateway.log');
  }

  /** A note when the last SIGTERM stop was slow or had to be killed, with what the log says of it; null otherwise. */
  stopNote(what: string, clean: boolean): string | null {
    if (clean && this.lastStopMs < SLOW_STOP_MS) return null;
    const how = clean ? `took ${(this.lastStopMs / 1000).toFixed(1)} s` : `did not stop within 30 s (killed)`;
    return `${what}: SIGTERM ${how}; the gateway's log: ${lastStopReport(this.logFile)}`;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(extraEnv: Record<string, string> = {}): void {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'gateway-entry.ts'), 'gateway'], {
      cwd: ROOT,
      env: { ...this.env, PATH: process.env.PATH, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.stdout = '';
    child.stdout!.on('data', (d) => (this.stdout = (this.stdout + String(d)).slice(-8000)));
    child.stderr!.on('data', (d) => (this.stderr = (this.stderr + String(d)).slice(-8000)));
    this.child = child;
    this.exited = new Promise((r) => child.on('exit', r));
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child!.kill(signal);
  }

  async stop(signal: NodeJS.Signals, timeoutMs = 30_000): Promise<boolean> {
    this.lastStopMs = 0;
    if (!this.child) return true;
    const t0 = Date.now();
    this.kill(signal);
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
    const outcome = await Promise.race([this.exited, timer]);
    this.lastStopMs = Date.now() - t0;
    if (outcome === 'timeout') {
      this.kill('SIGKILL');
      await this.exited;
      return false;
    }
    return true;
  }
}

export async function runSchedule(opts: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const scheduleOpts = opts.schedule ?? DEFAULT_SCHEDULE;
  const schedule = generateSchedule(opts.seed, scheduleOpts);
  const log = opts.log ?? (() => undefined);
  const skew = { ms: 0 };
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'wagate-chaos-'));
  let sim: Simulator | null = null;
  let agent: FakeOpenAi | null = null;
  const gw = new GatewayChild({ WAGATE_HOME: home, HOME: home, WAGATE_FFMPEG: process.env.WAGATE_FFMPEG ?? 'bundled' });
  const notes: string[] = [];
  try {
    sim = await startSimulator({ port: 0, host: '127.0.0.1', now: () => Date.now() + skew.ms });
    agent = await startFakeOpenAi();
    const approved = Array.from({ length: scheduleOpts.contacts }, (_, i) => `+1555800${String(1000 + i)}`);
    const strangers = Array.from({ length: scheduleOpts.strangers }, (_, i) => `+1555900${String(1000 + i)}`);
    const config = {
      web: { url: sim.url, catchUpMinutes: 30, reconnect: { initialMs: 250, maxMs: 2000, maxAttempts: 0 } },
      gateway: { port: await freePort() },
      channels: { whatsapp: { dmPolicy: 'pairing', allowFrom: approved } },
      session: { scope: 'per-sender' },
      logging: { file: path.join(home, 'gateway.log'), level: 'debug' },
      agents: { list: [{ id: 'main', model: { provider: 'openai', baseUrl: agent.baseUrl, model: 'chaos', timeoutMs: 60_000 } }] },
    };
    fs.writeFileSync(path.join(home, 'wagate.json'), JSON.stringify(config));
    await link(sim, { WAGATE_HOME: home, HOME: home });
    const contacts: SimContact[] = [...approved, ...strangers].map((e164, i) => sim!.contact(e164, { name: `C${i}` }));

    // The agent: answers `re <token>` for the token in the last user message, unless a fault is armed.
    const faults: AgentFaults = { slow: [], crash: 0, killInAgent: false };
    let lastActivity = Date.now();
    agent.reply = chaosAgent({ faults, log, who: '', kill: () => gw.kill('SIGKILL'), onRequest: () => (lastActivity = Date.now()) });
    let killInSend = false;
    for (const c of contacts) {
      const receive = c.receive.bind(c);
      c.receive = (m) => {
        receive(m);
        lastActivity = Date.now();
        if (killInSend) {
          killInSend = false;
          log('  ! SIGKILL right after a contact received a reply');
          gw.kill('SIGKILL');
        }
      };
    }

    const sent: Sent[] = [];
    const perContact = new Map<number, number>();
    const companionOnline = () => sim!.hub.companions.get(BOT_USER)?.online === true;
    const waitUp = async () => {
      await until(() => companionOnline() || !gw.running, 'the gateway connected', START_TIMEOUT_MS);
      if (!gw.running) throw new Error(`the gateway exited while starting:\n${gw.stderr}`);
    };
    const waitDown = async () => {
      await gw.exited;
      await until(() => !companionOnline(), 'the simulator sees the companion offline', 20_000);
    };
    const start = async () => {
      gw.start({ WAGATE_CHAOS_CLOCK_SKEW_MS: String(skew.ms) });
      await waitUp();
    };

    await start();
    for (const [i, step] of schedule.entries()) {
      log(` ${String(i).padStart(2)} ${formatStep(step)}`);
      switch (step.kind) {
        case 'send':
          sent.push(await sendNumbered(step, i, { contacts, perContact, knownContacts: scheduleOpts.contacts, up: () => gw.running }));
          break;
        case 'kill':
        case 'term': {
          const clean = await gw.stop(step.kind === 'kill' ? 'SIGKILL' : 'SIGTERM');
          const note = step.kind === 'term' ? gw.stopNote(`step ${i}`, clean) : null;
          if (note) notes.push(note);
          await waitDown();
          break;
        }
        case 'kill-in-agent':
          faults.killInAgent = true;
          break;
        case 'kill-in-send':
          killInSend = true;
          break;
        case 'restart': {
          if (gw.running) {
            // An armed kill whose trigger never came (its message was not run or answered in time).
            try {
              await until(() => !gw.running, 'the armed kill', 30_000);
            } catch {
              notes.push(`step ${i}: the armed kill did not fire within 30 s; killed now`);
              faults.killInAgent = false;
              killInSend = false;
              gw.kill('SIGKILL');
            }
          }
          await waitDown();
          skew.ms += step.downtimeMs; // the downtime passes for the simulator and the next gateway alike
          await start();
          break;
        }
        case 'drop': {
          await until(companionOnline, 'the gateway connected before the drop', 30_000);
          if (step.code === 428) sim.drop(BOT_USER);
          else sim.kick(BOT_USER, step.code);
          await until(() => !companionOnline(), 'the connection dropped', 10_000);
          break;
        }
        case 'slow-agent':
          for (let k = 0; k < step.count; k++) faults.slow.push(step.ms);
          break;
        case 'agent-crash':
          faults.crash += 1;
          break;
      }
    }
    if (!gw.running) await start();
    await waitUp();

    // The end: every reply owed, then quiet (no reply, no agent request) for QUIET_MS.
    const owed = () => sent.every((s) => contacts[s.contact]!.inbox.length > 0 && (s.stranger || hasReply(contacts[s.contact]!, s.token)));
    await until(owed, 'every reply owed', FINAL_WAIT_MS).catch(() => notes.push(`not every reply came within ${FINAL_WAIT_MS / 1000} s`));
    await until(() => Date.now() - lastActivity >= QUIET_MS, 'quiet', 60_000).catch(() => notes.push('the gateway never went quiet'));
    const audit = AUDIT ? await AUDIT({ WAGATE_HOME: home, HOME: home }) : null;
    const finalNote = gw.stopNote('the final stop', await gw.stop('SIGTERM'));
    if (finalNote) notes.push(finalNote);
    const violations = checkInvariants({ sent, contacts, strangersFrom: scheduleOpts.contacts, schedule, audit });
    return { seed: opts.seed, schedule, messages: sent.length, violations, notes, durationMs: Date.now() - started, stderrTail: gw.stderr };
  } finally {
    if (gw.running) gw.kill('SIGKILL');
    await gw.exited;
    await agent?.close();
    await sim?.close();
    if (opts.keepHome) log(`state dir kept: ${home}`);
    else fs.rmSync(home, { recursive: true, force: true, maxRetries: 5 });
  }
}

function hasReply(c: SimContact, token: string): boolean {
  return c.inbox.some((m) => textOfReceived(m) === `${REPLY_PREFIX}${token}`);
}

export function textOfReceived(m: { message: { conversation?: string | null; extendedTextMessage?: { text?: string | null } | null } }): string {
  return m.message.conversation ?? m.message.extendedTextMessage?.text ?? '';
}

/** `wagate channels login` in-process (no gateway runs yet); the simulated phone scans the first QR. */
async function link(sim: Simulator, env: Record<string, string>): Promise<void> {
  let scanned = false;
  const res = await runCli(['channels', 'login', '--json', '--timeout', '30'], env, {
    onOut: (t) => {
      for (const l of t.trim().split('\n')) {
        const ev = JSON.parse(l) as { event?: string; qr?: string };
        if (ev.event === 'qr' && ev.qr && !scanned) {
          scanned = true;
          void sim.phone(BOT).scanQr(ev.qr);
        }
      }
    },
  });
  if (res.code !== 0) throw new Error(`linking failed: ${res.stderr}`);
}
