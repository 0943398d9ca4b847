/**
 * The inbound ledger actor (issue 13): moves each message's ledger entry as the bus
 * tells what became of it, and prunes the ledger in the background.
 *
 *   message.accepted → accepted · message.gated → gated(reason)
 *   message.dropped → dropped(reason) (not `duplicate`: a duplicate has no entry of its own)
 *   pairing.needed → pairing · reply.delivered → replied(reply ids) · reply.failed → failed(error)
 *   agent.run.finished with an error (a message run) → failed — except once the gateway
 *   is stopping: a run aborted by the stop (and a reply abandoned by it,
 *   WAGATE_ERR_STOPPING) stays `running`, for the next start to resume.
 *
 * `running`, the request id and the kept reply text are written by agent dispatch; the
 * reply ids before the first send by reply delivery's `beforeSend` (src/gateway/conversation.ts).
 * Retention: entries received more than `web.ledger.retentionDays` ago are removed once
 * at start and then every `pruneEveryMs` (default an hour), on the injected clock.
 */
import type { ActorDeps, RunningActor } from './actor.js';
import { ledgerOf } from './actor.js';
import { subLogger } from '../log.js';
import { keyOf } from '../ledger/inbound-ledger.js';
import { setLongInterval, type LongTimer } from '../timers.js';

export const DAY_MS = 86_400_000;

export interface InboundLedgerActorOptions {
  /** How often the ledger is pruned (default one hour). */
  pruneEveryMs?: number;
  /** Timers (tests pass fakes); default src/timers.ts. */
  every?: (fn: () => void, ms: number) => LongTimer;
}

export interface InboundLedgerActor extends RunningActor {
  /** Prune now; resolves with how many entries were removed. */
  prune(): Promise<number>;
}

export function startInboundLedger(deps: ActorDeps, opts: InboundLedgerActorOptions = {}): InboundLedgerActor {
  const log = subLogger(deps.logger, 'whatsapp/inbound');
  const ledger = ledgerOf(deps);
  const retentionMs = deps.config.web.ledger.retentionDays * DAY_MS;
  let stopping = false;
  let pruned = 0;
  let lastPruneAt: number | null = null;
  const failed = (what: string) => (err: unknown) => log.error({ err }, `inbound ledger: could not ${what}`);

  const offs = [
    deps.bus.on('message.accepted', ({ accountId, message }) => {
      ledger.post(keyOf(accountId, message), { state: 'accepted' }, failed('record an accepted message'));
    }),
    deps.bus.on('message.gated', ({ accountId, message, reason }) => {
      ledger.post(keyOf(accountId, message), { state: 'gated', reason }, failed('record a gated message'));
    }),
    deps.bus.on('message.dropped', ({ accountId, message, reason }) => {
      if (reason === 'duplicate') return;
      ledger.post(keyOf(accountId, message), { state: 'dropped', reason }, failed('record a dropped message'));
    }),
    deps.bus.on('pairing.needed', ({ accountId, message }) => {
      ledger.post(keyOf(accountId, message), { state: 'pairing' }, failed('record a pairing request'));
    }),
    deps.bus.on('reply.delivered', ({ accountId, requestId, messageIds }) => {
      ledger.postByRequest(accountId, requestId, { state: 'replied', replyIds: messageIds }, failed('record a reply'));
    }),
    deps.bus.on('reply.failed', ({ accountId, requestId, error }) => {
      // A reply abandoned by the stop is unfinished, not failed: the next start sends it.
      if (stopping || error.code === 'WAGATE_ERR_STOPPING') return;
      ledger.postByRequest(accountId, requestId, { state: 'failed', error: `${error.code}: ${error.message}` }, failed('record a failed reply'));
    }),
    deps.bus.on('agent.run.finished', ({ accountId, runId, origin, status }) => {
      if (status !== 'error' || origin !== 'message' || stopping) return;
      ledger.postByRequest(accountId, runId, { state: 'failed', error: 'the agent run failed' }, failed('record a failed run'));
    }),
    deps.bus.on('gateway.stopping', () => {
      stopping = true;
    }),
  ];

  const prune = async (): Promise<number> => {
    const n = await ledger.prune(deps.now() - retentionMs);
    pruned += n;
    lastPruneAt = deps.now();
    if (n > 0) log.info({ removed: n, retentionDays: deps.config.web.ledger.retentionDays }, 'inbound ledger pruned');
    return n;
  };
  const run = () => void prune().catch(failed('prune'));
  const every = opts.every ?? ((fn: () => void, ms: number) => setLongInterval(fn, ms, { unref: true }));
  const timer = every(run, opts.pruneEveryMs ?? 3_600_000);
  run();

  return {
    name: 'inbound-ledger',
    prune,
    summary: () => ({ ...ledger.summary(), pruned, lastPruneAt, retentionDays: deps.config.web.ledger.retentionDays }),
    stop: async () => {
      stopping = true;
      timer.clear();
      for (const off of offs) off();
      await ledger.flush();
    },
  };
}
