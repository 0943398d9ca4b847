/**
 * Agent heartbeats (SPEC §9): for each agent whose `heartbeat.every` is set, a
 * timer runs the agent with `heartbeat.prompt` (model `heartbeat.model`, else the
 * agent's) in `heartbeat.session` (else the main session), with that session's
 * history. A reply that is `HEARTBEAT_OK` is dropped; any other text goes out as
 * `reply.requested` (source 'heartbeat') to the target — `last`: the chat the agent
 * last answered (tracked from `message.accepted`, else the session's last chat),
 * `whatsapp`: `to`, `none`: nowhere — and the prompt and reply are then appended
 * to the session. A run never overlaps the agent's previous one, and it takes its
 * turn in the session's queue (`queue`, shared with agent dispatch): it never
 * interleaves with a message's run in the same session.
 */
import { randomUUID } from 'node:crypto';
import { parseDuration, resolveAgents, type AgentConfig } from '../config/index.js';
import type { RunningActor } from '../gateway/actor-registry.js';
import { subLogger } from '../log.js';
import { heartbeatTarget, isHeartbeatOk, accountForAgent, type HeartbeatChat } from '../agents/heartbeat.js';
import { createProvider, type AgentProvider } from '../agents/providers/index.js';
import { mainSessionKey } from '../agents/routing.js';
import { KeyedQueue } from '../keyed-queue.js';
import { setLongTimeout, type LongTimer } from '../timers.js';
import { SessionStore, sessionsDirFor } from '../agents/session-store.js';
import type { ActorDeps } from './deps.js';

export interface AgentHeartbeatOptions {
  /** The heartbeat's provider (tests inject fakes); default from `heartbeat.model ?? agent.model`. */
  providerFor?: (agent: AgentConfig) => AgentProvider;
  env?: NodeJS.ProcessEnv;
  newRunId?: () => string;
  /** The per-session run queue, shared with agent dispatch (default: one of its own). */
  queue?: KeyedQueue;
}

export type HeartbeatOutcome = 'ok' | 'delivered' | 'no-target' | 'busy' | 'error';

export interface HeartbeatRun {
  runId: string;
  at: number;
  outcome: HeartbeatOutcome;
  durationMs: number;
  chatJid?: string;
  error?: string;
}

export interface AgentHeartbeatActor extends RunningActor {
  /** Runs one agent's heartbeat now (the timer does the same). */
  runNow(agentId: string): Promise<HeartbeatRun>;
  /** Resolves when no heartbeat run is in flight. */
  idle(): Promise<void>;
}

interface AgentTimer {
  agent: AgentConfig;
  everyMs: number;
  timer: LongTimer | null;
  nextRunAt: number | null;
  running: Promise<HeartbeatRun> | null;
  lastRun: HeartbeatRun | null;
  runs: number;
}

export function startAgentHeartbeat(deps: ActorDeps, opts: AgentHeartbeatOptions = {}): AgentHeartbeatActor {
  const log = subLogger(deps.logger, 'agent').child({ component: 'heartbeat' });
  const newRunId = opts.newRunId ?? randomUUID;
  const queue = opts.queue ?? new KeyedQueue();
  const providerFor =
    opts.providerFor ?? ((agent: AgentConfig) => createProvider(agent.heartbeat.model ?? agent.model, { env: opts.env }));
  const lastChat = new Map<string, HeartbeatChat>();
  const controllers = new Set<AbortController>();
  const timers = new Map<string, AgentTimer>();
  let stopped = false;

  for (const agent of resolveAgents(deps.config)) {
    const everyMs = agent.heartbeat.every ? parseDuration(agent.heartbeat.every) : null;
    if (!everyMs || everyMs <= 0) continue;
    timers.set(agent.id, { agent, everyMs, timer: null, nextRunAt: null, running: null, lastRun: null, runs: 0 });
  }

  const schedule = (t: AgentTimer) => {
    if (stopped) return;
    t.nextRunAt = deps.now() + t.everyMs;
    t.timer = setLongTimeout(() => {
      t.timer = null;
      void run(t).finally(() => schedule(t));
    }, t.everyMs);
  };

  /** The chat for target `last`: tracked, else the last chat recorded in the session. */
  async function lastChatOf(agent: AgentConfig, store: SessionStore, sessionKey: string): Promise<HeartbeatChat | null> {
    const known = lastChat.get(agent.id);
    if (known) return known;
    const entries = await store.read(sessionKey);
    const chatJid = [...entries].reverse().find((e) => e.chatJid)?.chatJid;
    return chatJid ? { accountId: accountForAgent(deps.config, deps.accounts.keys(), agent.id), chatJid } : null;
  }

  interface Turn {
    runId: string;
    at: number;
    sessionKey: string;
    signal: AbortSignal;
    done: (outcome: HeartbeatOutcome, extra?: Partial<HeartbeatRun>) => HeartbeatRun;
  }

  async function execute(t: AgentTimer): Promise<HeartbeatRun> {
    const { agent } = t;
    const runId = newRunId();
    const at = deps.now();
    const rlog = log.child({ agentId: agent.id, runId });
    const controller = new AbortController();
    controllers.add(controller);
    const done = (outcome: HeartbeatOutcome, extra: Partial<HeartbeatRun> = {}): HeartbeatRun => {
      const r: HeartbeatRun = { runId, at, outcome, durationMs: deps.now() - at, ...extra };
      t.lastRun = r;
      t.runs += 1;
      rlog.info({ outcome, durationMs: r.durationMs, chatJid: r.chatJid, err: r.error }, 'agent heartbeat');
      return r;
    };
    const sessionKey = agent.heartbeat.session ?? mainSessionKey(deps.config, agent.id);
    try {
      // the session's turn: a message's run never interleaves with this one
      return await queue.run(sessionKey, () => turn(agent, { runId, at, sessionKey, signal: controller.signal, done }));
    } catch (err) {
      return done('error', { error: err instanceof Error ? err.message : String(err) });
    } finally {
      controllers.delete(controller);
    }
  }

  async function turn(agent: AgentConfig, { runId, at, sessionKey, signal, done }: Turn): Promise<HeartbeatRun> {
    if (stopped) return done('error', { error: 'gateway stopping' });
    const store = new SessionStore(sessionsDirFor(deps.config, deps.stateDir, agent.id));
    const prompt = agent.heartbeat.prompt;
    const result = await providerFor(agent).run({
      agentId: agent.id,
      sessionKey,
      envelope: { Body: prompt, RawBody: prompt },
      history: await store.history(sessionKey),
      signal,
    });
    if (stopped) return done('error', { error: 'gateway stopping' });
    const text = result.text.trim();
    if (isHeartbeatOk(text)) return done('ok');
    const target = heartbeatTarget(deps.config, deps.accounts.keys(), agent, await lastChatOf(agent, store, sessionKey));
    if (!target) return done('no-target');
    await store.append(
      sessionKey,
      { role: 'user', text: prompt, at, sender: 'heartbeat' },
      { role: 'assistant', text, at: deps.now(), chatJid: target.chatJid },
    );
    deps.bus.emit('reply.requested', {
      accountId: target.accountId,
      chatJid: target.chatJid,
      text,
      source: 'heartbeat',
      requestId: runId,
      ...(target.selfChat ? { selfChat: true } : {}),
    });
    return done('delivered', { chatJid: target.chatJid });
  }

  function run(t: AgentTimer): Promise<HeartbeatRun> {
    if (t.running) {
      const busy: HeartbeatRun = { runId: '', at: deps.now(), outcome: 'busy', durationMs: 0 };
      return Promise.resolve(busy);
    }
    const p = execute(t).finally(() => {
      t.running = null;
    });
    t.running = p;
    return p;
  }

  const offAccepted = deps.bus.on('message.accepted', ({ accountId, message, route }) => {
    lastChat.set(route.agentId, { accountId, chatJid: message.chatJid, ...(message.isSelfChat ? { selfChat: true } : {}) });
  });
  const offStopping = deps.bus.on('gateway.stopping', () => {
    stopped = true;
  });
  for (const t of timers.values()) schedule(t);

  return {
    name: 'agent-heartbeat',
    runNow: (agentId) => {
      const t = timers.get(agentId);
      if (!t) return Promise.reject(new Error(`agent "${agentId}" has no heartbeat.every`));
      return run(t);
    },
    idle: async () => {
      await Promise.all([...timers.values()].map((t) => t.running?.catch(() => undefined)));
    },
    summary: () => ({
      agents: [...timers.values()].map((t) => ({
        agentId: t.agent.id,
        every: t.agent.heartbeat.every,
        target: t.agent.heartbeat.target,
        nextRunAt: t.nextRunAt,
        running: t.running !== null,
        runs: t.runs,
        lastRun: t.lastRun,
        lastChat: lastChat.get(t.agent.id)?.chatJid ?? null,
      })),
    }),
    stop: async () => {
      stopped = true;
      offAccepted();
      offStopping();
      for (const t of timers.values()) {
        t.timer?.clear();
        t.timer = null;
        t.nextRunAt = null;
      }
      for (const c of controllers) c.abort();
      await Promise.all([...timers.values()].map((t) => t.running?.catch(() => undefined)));
    },
  };
}
