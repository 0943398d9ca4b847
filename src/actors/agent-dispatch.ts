/**
 * Agent dispatch (SPEC §6): on `message.accepted`, build the envelope (with the
 * group's injected history), append the user turn to the session, run the
 * agent's provider — one run at a time per session, queued in order, typing
 * indicator meanwhile — append the reply and emit `reply.requested`
 * (source 'agent', requestId = runId). A provider error is logged and nothing
 * is sent (no apology: the config has no key for one).
 *
 * Also runs the control method `agent` (SPEC §10) through `runAgent`.
 */
import { randomUUID } from 'node:crypto';
import { agentForAccount, resolveAgents, type AgentConfig } from '../config/index.js';
import type { RunningActor } from '../gateway/actor-registry.js';
import { subLogger } from '../log.js';
import type { InboundMessage } from '../ports/inbound.js';
import type { MessageRoute } from '../bus/events.js';
import { resolveRunTarget, type AgentRunEvent, type AgentRunParams } from '../agents/control-run.js';
import { createProvider, type AgentProvider, type ProviderResult } from '../agents/providers/index.js';
import { KeyedQueue } from '../keyed-queue.js';
import { SessionStore, sessionsDirFor, type SessionEntry } from '../agents/session-store.js';
import { envelopeBuilder, prepareTurn, type EnvelopeBuilder, type PreparedTurn } from '../agents/turn.js';
import { ChatTyping, startTyping, type TypingTurn } from '../agents/typing.js';
import { saveInboundMedia } from '../media/inbound.js';
import { whatsappTools, type RunInputWithTools } from '../agents/tools.js';
import type { ActorDeps } from './deps.js';

export interface AgentDispatchOptions {
  /** The provider of an agent (tests inject fakes); default from `agent.model`. */
  providerFor?: (agent: AgentConfig) => AgentProvider;
  /** Environment for providers (`apiKeyEnv`, child processes); default process.env. */
  env?: NodeJS.ProcessEnv;
  newRunId?: () => string;
  /** Envelope header time zone; default the process's zone. */
  timeZone?: string;
  buildEnvelope?: EnvelopeBuilder;
  /** Group subject lookup (the group-metadata actor's `subject`); absent = the JID is shown. */
  groupSubject?: (accountId: string, groupJid: string) => Promise<string | null>;
  typingRefreshMs?: number;
  /** The per-session run queue, shared with agent heartbeats (default: one of its own). */
  queue?: KeyedQueue;
}

export interface AgentDispatchActor extends RunningActor {
  /**
   * The control method `agent`: validates at once (throws WagateError
   * WAGATE_ERR_BAD_REQUEST / WAGATE_ERR_UNKNOWN_ACCOUNT), returns
   * `{ runId, status: 'accepted' }`, then calls `emit` with `{runId, status:'running'}`,
   * `{runId, delta}`… and finally `{runId, status:'ok'|'error', summary}` (always, once).
   */
  runAgent(params: AgentRunParams, emit: (event: AgentRunEvent) => void): { runId: string; status: 'accepted' };
  /** Resolves when every run queued so far has finished. */
  idle(): Promise<void>;
}

interface RunSpec {
  runId: string;
  accountId: string;
  agentId: string;
  sessionKey: string;
  /** Where the reply goes and typing shows; null = not delivered. */
  chatJid: string | null;
  selfChat: boolean;
  /** The inbound message being answered (tools: `react` to it). */
  messageId?: string;
  prepare: (store: SessionStore) => Promise<PreparedTurn>;
  onDelta?: (delta: string) => void;
  /** This run's share of the chat's typing (null when nothing is delivered). */
  typing: TypingTurn | null;
}

interface LastRun {
  runId: string;
  agentId: string;
  sessionKey: string;
  status: 'ok' | 'error';
  startedAt: number;
  durationMs: number;
  error?: string;
}

export function startAgentDispatch(deps: ActorDeps, opts: AgentDispatchOptions = {}): AgentDispatchActor {
  const log = subLogger(deps.logger, 'agent');
  const queue = opts.queue ?? new KeyedQueue();
  const stores = new Map<string, SessionStore>();
  const providers = new Map<string, AgentProvider>();
  const controllers = new Set<AbortController>();
  const newRunId = opts.newRunId ?? randomUUID;
  const build = opts.buildEnvelope ?? envelopeBuilder(opts.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone);
  const providerFor = opts.providerFor ?? ((agent: AgentConfig) => createProvider(agent.model, { env: opts.env }));
  const counts = { started: 0, ok: 0, failed: 0 };
  let lastRun: LastRun | null = null;
  let stopping = false;
  let stopped = false;
  const typing = new ChatTyping((accountId, chatJid) =>
    startTyping(() => deps.connection(accountId), chatJid, log.child({ accountId }), opts.typingRefreshMs),
  );

  const agentById = (agentId: string, accountId: string): AgentConfig =>
    resolveAgents(deps.config).find((a) => a.id === agentId) ?? agentForAccount(deps.config, accountId);
  const storeFor = (agentId: string): SessionStore => {
    let s = stores.get(agentId);
    if (!s) stores.set(agentId, (s = new SessionStore(sessionsDirFor(deps.config, deps.stateDir, agentId))));
    return s;
  };
  const cachedProvider = (agent: AgentConfig): AgentProvider => {
    let p = providers.get(agent.id);
    if (!p) providers.set(agent.id, (p = providerFor(agent)));
    return p;
  };

  async function execute(run: RunSpec): Promise<ProviderResult> {
    if (stopped) {
      run.typing?.done();
      throw new Error('gateway stopping');
    }
    const startedAt = deps.now();
    counts.started += 1;
    const rlog = log.child({ accountId: run.accountId, runId: run.runId, sessionKey: run.sessionKey });
    const controller = new AbortController();
    controllers.add(controller);
    try {
      const agent = agentById(run.agentId, run.accountId);
      const store = storeFor(agent.id);
      const turn = await run.prepare(store);
      await store.append(run.sessionKey, ...turn.entries);
      run.typing?.start();
      const input: RunInputWithTools = {
        agentId: agent.id,
        sessionKey: run.sessionKey,
        envelope: turn.envelope,
        history: turn.history,
        signal: controller.signal,
        ...(run.onDelta ? { onDelta: run.onDelta } : {}),
        // The `whatsapp` tool (SPEC §8): openai function calls, command reply actions.
        tools: whatsappTools(deps, { accountId: run.accountId, chatJid: run.chatJid, messageId: run.messageId, logger: rlog }),
      };
      const result = await cachedProvider(agent).run(input);
      // composing stays on while more of this chat's messages wait their turn
      run.typing?.done();
      if (stopped) throw new Error('gateway stopping');
      const text = result.text.trim();
      const media = result.media?.length ? result.media : undefined;
      if (text || media) {
        const entry: SessionEntry = { role: 'assistant', text, at: deps.now(), ...(run.chatJid ? { chatJid: run.chatJid } : {}) };
        await store.append(run.sessionKey, entry);
        if (run.chatJid) {
          deps.bus.emit('reply.requested', {
            accountId: run.accountId,
            chatJid: run.chatJid,
            text,
            source: 'agent',
            requestId: run.runId,
            ...(run.selfChat ? { selfChat: true } : {}),
            ...(media ? { media } : {}),
          });
        }
      }
      counts.ok += 1;
      lastRun = { runId: run.runId, agentId: agent.id, sessionKey: run.sessionKey, status: 'ok', startedAt, durationMs: deps.now() - startedAt };
      rlog.info({ agentId: agent.id, durationMs: lastRun.durationMs, replyChars: text.length }, 'agent run finished');
      return { ...result, text };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      counts.failed += 1;
      lastRun = { runId: run.runId, agentId: run.agentId, sessionKey: run.sessionKey, status: 'error', startedAt, durationMs: deps.now() - startedAt, error: message };
      rlog.warn({ err: message }, 'agent run failed; nothing sent');
      throw err;
    } finally {
      run.typing?.done();
      controllers.delete(controller);
    }
  }

  function onAccepted(accountId: string, message: InboundMessage, route: MessageRoute): void {
    if (stopping || stopped) return;
    const runId = newRunId();
    const isGroup = message.chatType === 'group';
    const spec: RunSpec = {
      runId,
      accountId,
      agentId: route.agentId,
      sessionKey: route.sessionKey,
      chatJid: message.chatJid,
      selfChat: message.isSelfChat === true,
      messageId: message.id,
      typing: typing.turn(accountId, message.chatJid),
      prepare: async (store) => {
        const subject = isGroup && opts.groupSubject ? await opts.groupSubject(accountId, message.chatJid).catch(() => null) : null;
        // Inbound media is fetched here, inside the session's queue: one chat's messages keep their order.
        const withMedia = await saveInboundMedia(
          { stateDir: deps.stateDir, connection: deps.connection, maxMb: (acc) => deps.accounts.get(acc)?.mediaMaxMb ?? 50, logger: log },
          message,
        );
        const turn = await prepareTurn({
          config: deps.config,
          account: deps.accounts.get(accountId),
          store,
          sessionKey: route.sessionKey,
          message: withMedia,
          injected: isGroup ? (route.history ?? []) : [],
          groupSubject: subject,
          buildEnvelope: build,
          now: deps.now(),
        });
        return { ...turn, envelope: { ...turn.envelope, MessageId: message.id, ChatJid: message.chatJid } };
      },
    };
    queue.run(route.sessionKey, () => execute(spec)).catch(() => undefined);
  }

  function runAgent(params: AgentRunParams, emit: (event: AgentRunEvent) => void): { runId: string; status: 'accepted' } {
    const target = resolveRunTarget(deps.config, deps.accounts, params);
    const runId = newRunId();
    const send = (event: AgentRunEvent) => {
      try {
        emit(event);
      } catch (err) {
        log.warn({ err, runId }, 'agent event listener failed');
      }
    };
    const spec: RunSpec = {
      runId,
      accountId: target.accountId,
      agentId: target.agentId,
      sessionKey: target.sessionKey,
      chatJid: target.chatJid,
      selfChat: false,
      typing: target.chatJid ? typing.turn(target.accountId, target.chatJid) : null,
      prepare: async (store) => ({
        envelope: { Body: params.message, RawBody: params.message },
        history: await store.history(target.sessionKey),
        entries: [{ role: 'user', text: params.message, at: deps.now(), sender: 'control' }],
      }),
      onDelta: (delta) => send({ runId, delta }),
    };
    queue
      .run(target.sessionKey, async () => {
        send({ runId, status: 'running' });
        return execute(spec);
      })
      .then(
        (result) => send({ runId, status: 'ok', summary: result.text }),
        (err: unknown) => send({ runId, status: 'error', summary: err instanceof Error ? err.message : String(err) }),
      );
    return { runId, status: 'accepted' };
  }

  const offAccepted = deps.bus.on('message.accepted', ({ accountId, message, route }) => onAccepted(accountId, message, route));
  const offStopping = deps.bus.on('gateway.stopping', () => {
    stopping = true;
  });

  return {
    name: 'agent-dispatch',
    runAgent,
    idle: () => queue.idle(),
    summary: () => ({
      inFlight: queue.running,
      queued: queue.queued,
      sessionsBusy: queue.keys(),
      typingChats: typing.active,
      runs: { ...counts },
      lastRun,
    }),
    stop: async () => {
      stopped = true;
      offAccepted();
      offStopping();
      for (const c of controllers) c.abort();
      await queue.idle();
      typing.stopAll();
    },
  };
}
