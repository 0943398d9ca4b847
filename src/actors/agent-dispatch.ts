/**
 * Agent dispatch (SPEC §6): on `message.accepted`, asks the agent runner
 * (src/agents/runner.ts) for a run in the message's session — one at a time per
 * session, in order, typing meanwhile. Inside the run's turn it fetches inbound
 * media, looks up the group subject (its own 5-minute group metadata cache, SPEC
 * §5) and builds the envelope with the group's injected history (`route.history`);
 * the user turn(s) are appended first, the reply after, and a non-empty reply goes
 * out as `reply.requested` (source 'agent', requestId = runId). A provider error is
 * logged and nothing is sent (no apology: the config has no key for one).
 *
 * The inbound ledger (src/ledger/): the run's id is the message's ledger request id, the
 * same on every resume (so the reply's message ids are too); its turn moves the entry to
 * `running`, and the agent's answer is kept in the entry before the reply is asked for,
 * so a resume after a crash sends that answer without asking the agent again. A run
 * with nothing to say ends the entry as `replied` with reason `no-reply`.
 */
import { sharedAbortController } from '../abortable.js';
import { GroupMetadataCache } from '../access/policy/group-metadata.js';
import type { MessageRoute } from '../bus/events.js';
import type { ActorDeps, RunningActor } from './actor.js';
import { ledgerOf } from './actor.js';
import { keyOf, ledgerRequestId } from '../ledger/inbound-ledger.js';
import { subLogger } from '../log.js';
import { saveInboundMedia } from '../media/inbound.js';
import type { InboundMessage } from '../ports/inbound.js';
import { replyOutcome, type AgentRunner } from '../agents/runner.js';
import { envelopeBuilder, prepareTurn, type EnvelopeBuilder } from '../agents/turn.js';

export interface AgentDispatchOptions {
  /** Envelope header time zone; default the process's zone. */
  timeZone?: string;
  buildEnvelope?: EnvelopeBuilder;
  /** Group metadata cache lifetime (default 5 minutes). */
  groupTtlMs?: number;
}

export interface AgentDispatchActor extends RunningActor {
  /** Resolves when every message run taken so far has finished. */
  idle(): Promise<void>;
}

export function startAgentDispatch(deps: ActorDeps, runner: AgentRunner, opts: AgentDispatchOptions = {}): AgentDispatchActor {
  const log = subLogger(deps.logger, 'agent');
  const build = opts.buildEnvelope ?? envelopeBuilder(opts.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone);
  const groups = new GroupMetadataCache({
    fetch: async (accountId, groupJid) => deps.connection(accountId).groupMetadata(groupJid),
    now: deps.now,
    ...(opts.groupTtlMs !== undefined ? { ttlMs: opts.groupTtlMs } : {}),
    onError: (err, accountId, groupJid) => subLogger(deps.logger, 'whatsapp').warn({ err, accountId, groupJid }, 'group metadata lookup failed'),
  });
  const life = sharedAbortController();
  const pending = new Set<Promise<unknown>>();
  const ledger = ledgerOf(deps);
  const mediaDeps = { stateDir: deps.stateDir, connection: deps.connection, maxMb: (acc: string) => deps.accounts.get(acc)?.mediaMaxMb ?? 50, logger: log };
  let taken = 0;
  let stopping = false;

  function onAccepted(accountId: string, message: InboundMessage, route: MessageRoute): void {
    if (stopping || life.signal.aborted) return;
    taken += 1;
    const isGroup = message.chatType === 'group';
    const key = keyOf(accountId, message);
    const runId = ledgerRequestId(key);
    const noted = (what: string) => (err: unknown) => log.error({ err, accountId, id: message.id }, `inbound ledger: could not ${what}`);
    const run = runner.run({
      runId,
      origin: 'message',
      accountId,
      agentId: route.agentId,
      sessionKey: route.sessionKey,
      chat: { jid: message.chatJid, messageId: message.id },
      typing: true,
      tools: true,
      signal: life.signal,
      onStart: () => ledger.post(key, { state: 'running', requestId: runId }, noted('record a running message')),
      prepare: async (store) => {
        const subject = isGroup ? await groups.subject(accountId, message.chatJid).catch(() => null) : null;
        // Inbound media is fetched here, inside the session's turn: one chat's messages keep their order.
        const withMedia = message.media && message.kind === 'media' ? await saveInboundMedia(mediaDeps, message) : message;
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
      finish: (result) => {
        const outcome = replyOutcome(result, { accountId, chatJid: message.chatJid, selfChat: message.isSelfChat === true }, deps.now());
        // Kept before the reply is asked for: a crash from here on resends it, the agent is not asked again.
        // (A reply with media is not kept: its resume asks the agent again.)
        // The runner waits for this write (and the session append) before `reply.requested`; both are
        // committed before the reply is sent (its durable reply-ids write comes after them).
        const committed =
          outcome.reply && !outcome.reply.media
            ? ledger.move(key, { replyText: outcome.reply.text }).catch(noted('keep the reply text'))
            : ledger.move(key, { state: 'replied', reason: 'no-reply' }).catch(noted('record a run without reply'));
        outcome.committed = committed; // replyOutcome's object is this run's own
        return outcome;
      },
    });
    const settled = run.catch(() => undefined); // the runner logged it; nothing is sent
    pending.add(settled);
    void settled.then(() => pending.delete(settled));
  }

  const offAccepted = deps.bus.on('message.accepted', ({ accountId, message, route }) => onAccepted(accountId, message, route));
  const offStopping = deps.bus.on('gateway.stopping', () => {
    stopping = true;
  });

  const idle = async () => {
    while (pending.size > 0) await Promise.all([...pending]);
  };

  return {
    name: 'agent-dispatch',
    idle,
    busy: () => pending.size > 0,
    summary: () => ({ messages: taken, running: pending.size, groups: groups.summary() }),
    stop: async () => {
      life.abort();
      offAccepted();
      offStopping();
      await idle();
      groups.clear();
    },
  };
}
