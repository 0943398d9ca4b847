/**
 * The agent runner (SPEC §6, §9, §10): the one place an agent run happens,
 * whoever asks for it — a message (actors/agent-dispatch.ts), a heartbeat
 * (actors/agent-heartbeat.ts) or the control method `agent` (control-run.ts).
 *
 * It owns what those runs share: one run at a time per session key, in arrival
 * order (a heartbeat never interleaves with a message's run in the same
 * session); the session stores; the providers (one per agent and model use,
 * created on first use); the typing indicator across a chat's queued runs; the
 * `whatsapp` tool; and abort on stop.
 *
 * A run, inside its session's turn: `prepare` gives the envelope, the history and
 * the entries to append first → the provider answers (typing meanwhile) →
 * `finish` decides what is appended and whether a `reply.requested` goes out
 * (requestId = runId). A caller's `signal` ends its runs: the one in flight is
 * aborted and queued ones fail with "gateway stopping" without reaching the provider.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.js';
import type { BusEvents } from '../bus/events.js';
import { agentForAccount, resolveAgents, type AccountConfig, type AgentConfig, type WagateConfig } from '../config/index.js';
import { LinkedAbort, sharedAbortController } from '../abortable.js';
import { KeyedQueue } from '../keyed-queue.js';
import { lazyChild, subLogger } from '../log.js';
import type { Connection } from '../ports/transport.js';
import { createProvider, type AgentProvider, type ProviderResult } from './providers/index.js';
import { ProviderError } from './providers/types.js';
import type { EnvelopeLike } from './providers/types.js';
import type { Store } from '../store/port.js';
import type { HistorySnapshot } from './session-history.js';
import { SessionStore, type SessionEntry } from './session-store.js';
import { whatsappTools, type RunInputWithTools } from './tools.js';
import { ChatTyping, startTyping, TypingRefresh, type TypingClock } from './typing.js';

/** Which model a run uses: the agent's, or its heartbeat's (`heartbeat.model`, else the agent's). */
export type ModelUse = 'reply' | 'heartbeat';

/** Who asked for a run (summaries and logs). */
export type RunOrigin = 'message' | 'control' | 'heartbeat';

export interface AgentRunnerDeps {
  bus: Bus;
  config: WagateConfig;
  accounts: ReadonlyMap<string, AccountConfig>;
  stateDir: string;
  /** The process's store: sessions are `store.sessions`. */
  store: Store;
  logger: Logger;
  now: () => number;
  connection(accountId: string): Connection;
}

export interface AgentRunnerOptions {
  /** The provider of an agent for a use (tests inject fakes); default from the config's model. */
  providerFor?: (agent: AgentConfig, use: ModelUse) => AgentProvider;
  /** Environment for providers (`apiKeyEnv`, child processes); default process.env. */
  env?: NodeJS.ProcessEnv;
  newRunId?: () => string;
  typingRefreshMs?: number;
  /** The typing refresh's clock (tests inject a manual one); default Node's timers. */
  typingClock?: TypingClock;
  /** Waits between tries of a transient provider error (tests pass zeros); default AGENT_RETRY's. */
  retryDelaysMs?: readonly number[];
}

/**
 * A provider error worth another try (issue 13: "an agent that crashes once"): an HTTP
 * 5xx, 408 or 429, a request or stream that failed on the network, a timeout. Not an
 * abort (the gateway stops), not a 4xx (the request itself is wrong), not a command's
 * non-zero exit (the same input would fail the same way).
 */
export function isTransientProviderError(err: unknown): boolean {
  if (!(err instanceof ProviderError)) return false;
  const { status, timedOut, exitCode } = err.detail;
  if (timedOut) return true;
  if (status !== undefined) return status >= 500 || status === 408 || status === 429;
  if (err.provider !== 'openai' || exitCode !== undefined) return false;
  return /request to .* failed|stream from .* broke|empty response body/.test(err.message);
}

/** A transient provider error is tried again after 1 s, then 4 s (3 tries in all); then the run fails. */
export const AGENT_RETRY = { delaysMs: [1_000, 4_000] } as const;

/** What the provider is given, and the session entries appended before it runs. */
export interface TurnInput {
  envelope: EnvelopeLike;
  /** The history, or a snapshot of it copied when the provider first reads it. */
  history: SessionEntry[] | HistorySnapshot;
  entries?: SessionEntry[];
}

/** What a run ends with: its value, entries appended after the answer, a reply to deliver. */
export interface TurnOutcome<T> {
  value: T;
  append?: SessionEntry[];
  reply?: Omit<BusEvents['reply.requested'], 'requestId'>;
  /**
   * Writes `finish` started that must be committed before the reply is asked for (the
   * ledger's kept reply text): awaited together with the session append, so both ride
   * in one store commit.
   */
  committed?: Promise<unknown>;
}

export interface RunRequest<T> {
  runId: string;
  origin: RunOrigin;
  accountId: string;
  agentId: string;
  sessionKey: string;
  use?: ModelUse;
  /** The chat the run answers: typing shows there while it works (with `typing`), tools get it as context. */
  chat?: { jid: string; messageId?: string } | null;
  typing?: boolean;
  /** Offer the `whatsapp` tool (SPEC §8). */
  tools?: boolean;
  /** The caller's lifetime: once aborted, its runs stop. */
  signal?: AbortSignal;
  /** The run's turn came (before `prepare`, also when it then fails because its caller stopped). */
  onStart?: () => void;
  onDelta?: (delta: string) => void;
  prepare(store: SessionStore): Promise<TurnInput>;
  /** May answer at once (no promise): one step less on every message's way to its reply. */
  finish(result: ProviderResult, store: SessionStore): TurnOutcome<T> | Promise<TurnOutcome<T>>;
}

export interface LastRun {
  runId: string;
  origin: RunOrigin;
  agentId: string;
  sessionKey: string;
  status: 'ok' | 'error';
  startedAt: number;
  durationMs: number;
  error?: string;
}

export interface AgentRunner {
  readonly name: 'agent-runner';
  newRunId(): string;
  /** Queues the run in its session; resolves with `finish`'s value, rejects with the run's error. */
  run<T>(request: RunRequest<T>): Promise<T>;
  /** The agent an id names (else the account's agent). */
  agent(agentId: string, accountId: string): AgentConfig;
  /** Resolves when every run queued so far has finished. */
  idle(): Promise<void>;
  /** A run is in flight or queued. */
  busy(): boolean;
  summary(): {
    inFlight: number;
    queued: number;
    sessionsBusy: string[];
    typingChats: number;
    runs: { started: number; ok: number; failed: number };
    lastRun: LastRun | null;
  };
  /** Aborts every run, waits for the queue, stops typing. */
  stop(): Promise<void>;
}

/** The usual end of a reply run: a non-empty answer is appended and, with a chat, delivered there. */
export function replyOutcome(
  result: ProviderResult,
  target: { accountId: string; chatJid: string | null; selfChat?: boolean },
  now: number,
): TurnOutcome<ProviderResult> {
  const text = result.text.trim();
  const media = result.media?.length ? result.media : undefined;
  if (!text && !media) return { value: { ...result, text } };
  const { chatJid } = target;
  return {
    value: { ...result, text },
    append: [{ role: 'assistant', text, at: now, ...(chatJid ? { chatJid } : {}) }],
    ...(chatJid
      ? {
          reply: {
            accountId: target.accountId,
            chatJid,
            text,
            source: 'agent' as const,
            ...(target.selfChat ? { selfChat: true } : {}),
            ...(media ? { media } : {}),
          },
        }
      : {}),
  };
}

const stoppingError = () => new Error('gateway stopping');
const ignore = (): void => undefined;

/**
 * What a provider is given. Its `signal` is the run's (src/abortable.ts LinkedAbort),
 * made when a provider first reads it: the in-process echo agent never does. A class,
 * not an object literal with a getter (which V8 builds on its slow path every run).
 */
class ProviderInput implements RunInputWithTools {
  onDelta?: (delta: string) => void;
  // True private fields: a provider that lists or serializes its input sees only the contract's fields.
  // `history`, `tools` and `signal` are getters (read them by name: a spread or JSON of the input leaves them out).
  readonly #run: LinkedAbort;
  readonly #toolsFor: (() => NonNullable<RunInputWithTools['tools']>) | undefined;
  #tools: RunInputWithTools['tools'];
  readonly #history: SessionEntry[] | HistorySnapshot;

  constructor(
    readonly agentId: string,
    readonly sessionKey: string,
    readonly envelope: EnvelopeLike,
    history: SessionEntry[] | HistorySnapshot,
    run: LinkedAbort,
    onDelta: ((delta: string) => void) | undefined,
    toolsFor: (() => NonNullable<RunInputWithTools['tools']>) | undefined,
  ) {
    this.#history = history;
    this.#run = run;
    this.#toolsFor = toolsFor;
    if (onDelta) this.onDelta = onDelta;
  }

  /** The session's turns for the model, copied on the first read (the echo agent never reads them). */
  get history(): SessionEntry[] {
    const h = this.#history;
    return Array.isArray(h) ? h : h.toArray();
  }

  /** The run's tools (with `tools`), made when a provider first asks: the echo agent never does. */
  get tools(): RunInputWithTools['tools'] {
    if (!this.#tools && this.#toolsFor) this.#tools = this.#toolsFor();
    return this.#tools;
  }

  get signal(): AbortSignal {
    return this.#run.signal;
  }
}

/** Waits `ms`; rejects (and clears the timer) when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(t);
      reject(stoppingError());
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function createAgentRunner(deps: AgentRunnerDeps, opts: AgentRunnerOptions = {}): AgentRunner {
  const log = subLogger(deps.logger, 'agent');
  const queue = new KeyedQueue();
  // Session keys name their agent (`agent:<agentId>:…`): one session store serves all agents.
  const sessions = new SessionStore(deps.store.sessions);
  const providers = new Map<string, AgentProvider>();
  const life = sharedAbortController();
  const counts = { started: 0, ok: 0, failed: 0 };
  let lastRun: LastRun | null = null;
  const providerFor =
    opts.providerFor ??
    ((agent: AgentConfig, use: ModelUse) =>
      createProvider(use === 'heartbeat' ? (agent.heartbeat.model ?? agent.model) : agent.model, { env: opts.env }));
  // One refresh timer for every chat's typing (src/agents/typing.ts TypingRefresh).
  const refresh = new TypingRefresh(opts.typingRefreshMs, opts.typingClock);
  const typing = new ChatTyping((accountId, chatJid) =>
    startTyping(() => deps.connection(accountId), chatJid, lazyChild(log, { accountId }), refresh),
  );

  // Resolved once per agent and account (the loaded config does not change in place).
  const agents = new Map<string, AgentConfig>();
  const agentById = (agentId: string, accountId: string): AgentConfig => {
    const key = `${agentId}\u0000${accountId}`;
    let agent = agents.get(key);
    if (!agent) {
      agent = resolveAgents(deps.config).find((a) => a.id === agentId) ?? agentForAccount(deps.config, accountId);
      if (agents.size >= 1024) agents.clear();
      agents.set(key, agent);
    }
    return agent;
  };
  const cachedProvider = (agent: AgentConfig, use: ModelUse): AgentProvider => {
    const key = `${agent.id}\u0000${use}`;
    let p = providers.get(key);
    if (!p) providers.set(key, (p = providerFor(agent, use)));
    return p;
  };

  const finished = (req: RunRequest<unknown>, status: 'ok' | 'error', durationMs: number) =>
    deps.bus.emit('agent.run.finished', {
      accountId: req.accountId,
      runId: req.runId,
      origin: req.origin,
      status,
      durationMs,
      messageId: req.chat?.messageId ?? null,
      at: deps.now(),
    });

  async function execute<T>(req: RunRequest<T>, turnTyping: { start(): void; done(): void } | null): Promise<T> {
    const callerSignal = req.signal;
    const stopped = () => life.signal.aborted || callerSignal?.aborted === true;
    req.onStart?.();
    if (stopped()) {
      turnTyping?.done();
      throw stoppingError();
    }
    const startedAt = deps.now();
    counts.started += 1;
    // No pino child per run: made only when a line is written (src/log.ts lazyChild).
    const rlog = lazyChild(log, { accountId: req.accountId, runId: req.runId, sessionKey: req.sessionKey, origin: req.origin });
    // The run's own abort, with the runner's or the caller's signal (both long-lived);
    // its AbortSignal is made only if the provider looks at it (src/abortable.ts).
    const runAbort = new LinkedAbort(callerSignal ? [life.signal, callerSignal] : [life.signal]);
    let unsaved: SessionEntry[] | null = null;
    try {
      const agent = agentById(req.agentId, req.accountId);
      const store = sessions;
      const turn = await req.prepare(store);
      // The turn's own entries (the user turn) are appended with the answer, in one store
      // commit, once the provider answered (it is given the prepared history, not the
      // store's); a run that fails or is stopped appends them on its way out. A crash in
      // between loses nothing: the resumed message is prepared again (src/agents/turn.ts).
      unsaved = turn.entries?.length ? turn.entries : null;
      turnTyping?.start();
      const chatJid = req.chat?.jid ?? null;
      let streamed = false;
      const onDelta = req.onDelta;
      const input = new ProviderInput(
        agent.id,
        req.sessionKey,
        turn.envelope,
        turn.history,
        runAbort,
        onDelta ? (d: string) => ((streamed = true), onDelta(d)) : undefined,
        req.tools ? () => whatsappTools(deps, { accountId: req.accountId, chatJid, messageId: req.chat?.messageId, logger: rlog }) : undefined,
      );
      // A provider that ignores the abort must not hold the stop: stop waiting for it.
      // A transient error is tried again (the ledger entry stays `running` meanwhile) —
      // unless part of the answer already reached the caller's onDelta.
      const provider = cachedProvider(agent, req.use ?? 'reply');
      // An agent outside this process (a command, an HTTP model) is only called once
      // everything written before is committed — the message's ledger record first: a kill
      // while it thinks then leaves the message to resume, never lost. The echo agent is in
      // the process: nothing outside sees it before the reply, which waits for a commit anyway.
      if (provider.name !== 'echo') await deps.store.committed();
      const delays = opts.retryDelaysMs ?? AGENT_RETRY.delaysMs;
      let result: ProviderResult;
      for (let attempt = 0; ; attempt += 1) {
        try {
          result = await runAbort.until(provider.run(input));
          break;
        } catch (err) {
          if (stopped() || streamed || attempt >= delays.length || !isTransientProviderError(err)) throw err;
          rlog.warn({ err: (err as Error).message, attempt: attempt + 1, retryInMs: delays[attempt] }, 'agent run failed; trying again');
          await pause(delays[attempt]!, runAbort.signal);
        }
      }
      // composing stays on while more of this chat's runs wait their turn
      turnTyping?.done();
      if (stopped()) throw stoppingError();
      const finishing = req.finish(result, store);
      const outcome = finishing instanceof Promise ? await finishing : finishing;
      const more = outcome.append;
      const entries = unsaved ? (more?.length ? unsaved.concat(more) : unsaved) : (more ?? []);
      unsaved = null;
      // Both writes were started together (one store commit) and are awaited one after the
      // other (Promise.all made four promises per run). The append's rejection is handled from
      // the start: it is never reported as unhandled while `committed` is awaited first.
      const appended = entries.length ? store.append(req.sessionKey, ...entries) : undefined;
      const committed = outcome.committed;
      if (committed) {
        appended?.catch(ignore);
        await committed;
      }
      await appended;
      counts.ok += 1;
      lastRun = { runId: req.runId, origin: req.origin, agentId: agent.id, sessionKey: req.sessionKey, status: 'ok', startedAt, durationMs: deps.now() - startedAt };
      finished(req, 'ok', lastRun.durationMs);
      if (outcome.reply) deps.bus.emit('reply.requested', { ...outcome.reply, requestId: req.runId });
      rlog.info({ agentId: agent.id, durationMs: lastRun.durationMs, replyChars: result.text.trim().length }, 'agent run finished');
      return outcome.value;
    } catch (err) {
      if (unsaved) {
        await sessions.append(req.sessionKey, ...unsaved).catch((e: unknown) => rlog.warn({ err: e }, 'could not append the turn to the session'));
      }
      const message = err instanceof Error ? err.message : String(err);
      counts.failed += 1;
      lastRun = {
        runId: req.runId,
        origin: req.origin,
        agentId: req.agentId,
        sessionKey: req.sessionKey,
        status: 'error',
        startedAt,
        durationMs: deps.now() - startedAt,
        error: message,
      };
      finished(req, 'error', lastRun.durationMs);
      rlog.warn({ err: message }, 'agent run failed; nothing sent');
      throw err;
    } finally {
      turnTyping?.done();
      runAbort.dispose();
    }
  }

  return {
    name: 'agent-runner',
    newRunId: opts.newRunId ?? randomUUID,
    agent: agentById,
    run(req) {
      // the typing turn is taken now, so a chat with queued runs keeps composing between them
      const turnTyping = req.typing && req.chat ? typing.turn(req.accountId, req.chat.jid) : null;
      return queue.run(req.sessionKey, () => execute(req, turnTyping));
    },
    idle: () => queue.idle(),
    busy: () => queue.running + queue.queued > 0,
    summary: () => ({
      inFlight: queue.running,
      queued: queue.queued,
      sessionsBusy: queue.keys(),
      typingChats: typing.active,
      runs: { ...counts },
      lastRun,
    }),
    stop: async () => {
      life.abort();
      await queue.idle();
      typing.stopAll();
      refresh.stop();
    },
  };
}
