/**
 * Agent heartbeats (SPEC §9): for each agent whose `heartbeat.every` is set, a
 * timer runs the agent with `heartbeat.prompt` (model `heartbeat.model`, else the
 * agent's) in `heartbeat.session` (else the main session), with that session's
 * history. A reply that is `HEARTBEAT_OK` is dropped; any other text goes out as
 * `reply.requested` (source 'heartbeat') to the target — `last`: the chat the agent
 * last answered (tracked from `message.accepted`, else the session's last chat),
 * `whatsapp`: `to`, `none`: nowhere — and the prompt and reply are then appended
 * to the session. A run never overlaps the agent's previous one; the agent runner
 * (src/agents/runner.ts) runs it in the session's turn, so it never interleaves with
 * a message's run in the same session.
 */
import { parseDuration, resolveAgents, type AgentConfig } from '../config/index.js';
import type { ActorDeps, RunningActor } from './actor.js';
import { subLogger } from '../log.js';
import { heartbeatTarget, isHeartbeatOk, accountForAgent, type HeartbeatChat } from '../agents/heartbeat.js';
import { mainSessionKey } from '../agents/routing.js';
import type { AgentRunner, TurnOutcome } from '../agents/runner.js';
import type { SessionStore } from '../agents/session-store.js';
import { setLongTimeout, type LongTimer } from '../timers.js';

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

export function startAgentHeartbeat(deps: ActorDeps, runner: AgentRunner): AgentHeartbeatActor {
  const log = subLogger(deps.logger, 'agent').child({ component: 'heartbeat' });
  const lastChat = new Map<string, HeartbeatChat>();
  const life = new AbortController();
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

  type Ended = Pick<HeartbeatRun, 'outcome' | 'chatJid'>;

  async function execute(t: AgentTimer): Promise<HeartbeatRun> {
    const { agent } = t;
    const runId = runner.newRunId();
    const at = deps.now();
    const sessionKey = agent.heartbeat.session ?? mainSessionKey(deps.config, agent.id);
    const prompt = agent.heartbeat.prompt;
    const done = (outcome: HeartbeatOutcome, extra: Partial<HeartbeatRun> = {}): HeartbeatRun => {
      const r: HeartbeatRun = { runId, at, outcome, durationMs: deps.now() - at, ...extra };
      t.lastRun = r;
      t.runs += 1;
      log.info({ agentId: agent.id, runId, outcome, durationMs: r.durationMs, chatJid: r.chatJid, err: r.error }, 'agent heartbeat');
      return r;
    };
    const finish = async (text: string, store: SessionStore): Promise<TurnOutcome<Ended>> => {
      if (stopped) throw new Error('gateway stopping');
      if (isHeartbeatOk(text)) return { value: { outcome: 'ok' } };
      const target = heartbeatTarget(deps.config, deps.accounts.keys(), agent, await lastChatOf(agent, store, sessionKey));
      if (!target) return { value: { outcome: 'no-target' } };
      return {
        value: { outcome: 'delivered', chatJid: target.chatJid },
        append: [
          { role: 'user', text: prompt, at, sender: 'heartbeat' },
          { role: 'assistant', text, at: deps.now(), chatJid: target.chatJid },
        ],
        reply: {
          accountId: target.accountId,
          chatJid: target.chatJid,
          text,
          source: 'heartbeat',
          ...(target.selfChat ? { selfChat: true } : {}),
        },
      };
    };
    try {
      const ended = await runner.run<Ended>({
        runId,
        origin: 'heartbeat',
        accountId: accountForAgent(deps.config, deps.accounts.keys(), agent.id),
        agentId: agent.id,
        sessionKey,
        use: 'heartbeat',
        signal: life.signal,
        prepare: async (store) => {
          if (stopped) throw new Error('gateway stopping');
          return { envelope: { Body: prompt, RawBody: prompt }, history: await store.history(sessionKey) };
        },
        finish: (result, store) => finish(result.text.trim(), store),
      });
      return done(ended.outcome, ended.chatJid ? { chatJid: ended.chatJid } : {});
    } catch (err) {
      return done('error', { error: err instanceof Error ? err.message : String(err) });
    }
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
      life.abort();
      await Promise.all([...timers.values()].map((t) => t.running?.catch(() => undefined)));
    },
  };
}
