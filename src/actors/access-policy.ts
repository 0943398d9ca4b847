/**
 * The access policy actor (SPEC §5): every `message.received` is recorded in the
 * inbound ledger at once (src/ledger/inbound-ledger.ts) and goes through, in
 * order per account and chat (one queue each: chats do not wait for each other) —
 *   dedupe (the ledger: a second arrival of a key is a duplicate; our own sent ids too, so self-chat replies never loop)
 *   → status/broadcast guard → reactions/edits are not prompts
 *   → offline catch-up window (`web.catchUpMinutes`)
 *   → DMs: `decideDm` (pairing store) · groups: `decideGroup` (policy, activation)
 * and ends in exactly one of `message.accepted` (with its route and, in groups, the
 * history since the last reply), `message.gated`, `pairing.needed` or
 * `message.dropped`. It keeps the group history itself (SPEC §5 "History
 * injection"; src/access/policy/group-history.ts): `message.gated` group messages per
 * group, handed to the next accepted one in `route.history`, forgotten once a reply
 * reaches the group (`reply.delivered`). `/activation mention|always` from the owner is stored and
 * answered with a `reply.requested` (source 'command'); so is `/config set|unset`
 * (src/access/commands/config-command.ts), in DMs and allowed groups, before the DM/group policy.
 *
 * Resume (src/ledger/resume.ts): at start, the ledger's unfinished entries still inside
 * the catch-up window are queued in their chats before any new message of that chat,
 * and handled once their account is connected: an entry whose agent reply text is kept
 * asks for that reply again (same request id, so the same message ids); the others
 * go through the policy again (no dedupe, no catch-up check: they passed it).
 * On a cluster node (`deps.leased`) nothing is resumed at start: an account's entries
 * are resumed when this node takes its lease (`account.lease.taken`, also after a
 * failover from a dead node), and the ones still waiting when the lease ends
 * (`account.lease.ended`) are left unfinished for the next owner.
 */
import { randomUUID } from 'node:crypto';
import { compileMentionPatterns, agentForAccount, type AccountConfig } from '../config/index.js';
import { routeMessage } from '../agents/routing.js';
import { decideDm } from '../pairing/dm-policy.js';
import { createPairingStore, type PairingStore } from '../pairing/store.js';
import type { ActorDeps, RunningActor } from './actor.js';
import type { InboundMessage } from '../ports/inbound.js';
import { isBroadcastJid } from '../whatsapp/address.js';
import { subLogger } from '../log.js';
import { activationConfirmation } from '../access/commands/activation-command.js';
import { configCommandFor, runConfigCommand, type ConfigCommand } from '../access/commands/config-command.js';
import { ActivationStore } from '../access/policy/activation-store.js';
import { catchUpVerdict } from '../access/policy/catch-up.js';
import { decideGroup } from '../access/policy/group-gate.js';
import { GroupHistory } from '../access/policy/group-history.js';
import { KeyedQueue } from '../keyed-queue.js';
import { keyOf, ledgerRequestId, type ArrivalVerdict } from '../ledger/inbound-ledger.js';
import { loadResumable } from '../ledger/resume.js';
import type { LedgerEntry } from '../store/port.js';
import { ledgerOf } from './actor.js';

export interface AccessPolicyOptions {
  /** The approved-senders store (default: the pairing store on `deps.store`). */
  pairing?: Pick<PairingStore, 'isApproved'>;
}

export function startAccessPolicy(deps: ActorDeps, opts: AccessPolicyOptions = {}): RunningActor {
  const log = subLogger(deps.logger, 'whatsapp/inbound');
  const pairing = opts.pairing ?? createPairingStore({ store: deps.store, now: deps.now });
  const history = new GroupHistory();
  const activations = new ActivationStore(deps.store, deps.now);
  const ledger = ledgerOf(deps);
  const patterns = new Map<string, RegExp[]>();
  const counts = { received: 0, accepted: 0, gated: 0, dropped: 0, pairing: 0, commands: 0, resumed: 0, expired: 0 };
  const chats = new KeyedQueue();
  let stopped = false;

  // Resumed entries wait for their account's first connection (their reply needs it).
  const connected = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  // Cluster: each lease taken is a new epoch of the account here; a resume queued in an
  // older epoch (the lease ended meanwhile) does nothing.
  const epochs = new Map<string, number>();
  const epochOf = (accountId: string) => epochs.get(accountId) ?? 0;
  // Cluster: an account's new messages wait until its resumed entries are queued.
  const accountResumes = new Map<string, Promise<void>>();
  const connectedOnce = (accountId: string): Promise<void> => {
    // Stopping: nothing waits (the stop resolves the waits it finds; a later one must not hang its chat's queue).
    if (stopped) return Promise.resolve();
    let c = connected.get(accountId);
    if (!c) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      connected.set(accountId, (c = { promise, resolve }));
      try {
        deps.connection(accountId);
        resolve();
      } catch {
        // not connected yet: account.connected resolves it
      }
    }
    return c.promise;
  };

  const patternsFor = (accountId: string): RegExp[] => {
    let p = patterns.get(accountId);
    if (!p) {
      try {
        p = compileMentionPatterns(agentForAccount(deps.config, accountId).mentionPatterns);
      } catch (err) {
        log.error({ err, accountId }, 'invalid mention pattern; mention patterns disabled');
        p = [];
      }
      patterns.set(accountId, p);
    }
    return p;
  };

  const drop = (accountId: string, message: InboundMessage, reason: string, markRead: boolean) => {
    counts.dropped += 1;
    log.debug({ accountId, chatId: message.chatId, id: message.id, reason }, 'inbound dropped');
    deps.bus.emit('message.dropped', { accountId, message, reason, markRead });
  };

  // One `then` on the ledger's verdict (not an async function awaiting a `catch`: two promises less per message).
  const handle = (accountId: string, message: InboundMessage, recorded: Promise<ArrivalVerdict>): Promise<void> => {
    counts.received += 1;
    return recorded.then(
      (arrival) => arrived(accountId, message, arrival),
      (err: unknown) => {
        // Better answered without a record than lost: the message is handled as new.
        log.error({ err, accountId, id: message.id }, 'could not record the message in the inbound ledger; handling it anyway');
        return arrived(accountId, message, 'new');
      },
    );
  };

  const arrived = (accountId: string, message: InboundMessage, arrival: ArrivalVerdict): Promise<void> | void => {
    // A duplicate has no entry of its own: its drop is not recorded (the first arrival's entry stays as it is).
    if (arrival === 'duplicate') return drop(accountId, message, 'duplicate', false);
    if (arrival !== 'new') return drop(accountId, message, arrival, false);
    const account = deps.accounts.get(accountId);
    if (!account) return drop(accountId, message, 'unknown-account', false);
    if (isBroadcastJid(message.chatJid)) return drop(accountId, message, 'broadcast', false);
    if (message.kind === 'reaction' || message.kind === 'edit') return drop(accountId, message, message.kind, false);

    const since = deps.catchUpStart(accountId);
    const verdict = catchUpVerdict(message, { now: deps.now(), since, catchUpMinutes: deps.config.web.catchUpMinutes });
    if (verdict === 'too-old' || verdict === 'before-window') return drop(accountId, message, `catch-up:${verdict}`, true);
    // Handed over before its account's connection opened (a message recovered at start,
    // src/whatsapp/decrypt-recovery.ts): who the account is (a group @mention of it, the
    // self-chat) is known once it connects; it waits for that, like a resumed entry
    // (a stop meanwhile leaves it `received`, for the next start).
    if (!deps.identity(accountId)) return connectedOnce(accountId).then(() => (stopped ? undefined : decide(accountId, account, message)));
    return decide(accountId, account, message);
  };

  /** A resumed entry (see the header): its kept reply again, or the policy again. */
  const resume = async (entry: LedgerEntry, epoch: number): Promise<void> => {
    await connectedOnce(entry.accountId);
    if (stopped) return;
    if (epochOf(entry.accountId) !== epoch) {
      // The lease ended while it waited: the account's next owner resumes it.
      ledger.markClosed(entry);
      return;
    }
    ledger.markOpen(entry, 'resumed after a restart');
    counts.resumed += 1;
    const message = JSON.parse(entry.message) as InboundMessage;
    if (entry.state === 'running' && entry.replyText !== null) {
      log.info({ accountId: entry.accountId, id: entry.messageId }, 'resumed: the kept agent reply is sent again (same request id)');
      deps.bus.emit('reply.requested', {
        accountId: entry.accountId,
        chatJid: entry.chatJid,
        text: entry.replyText,
        source: 'agent',
        requestId: entry.requestId ?? ledgerRequestId(entry),
        ...(message.isSelfChat ? { selfChat: true } : {}),
      });
      return;
    }
    const account = deps.accounts.get(entry.accountId);
    if (!account) return drop(entry.accountId, message, 'unknown-account', false);
    log.info({ accountId: entry.accountId, id: entry.messageId, state: entry.state }, 'resumed: handled again after a restart');
    return decide(entry.accountId, account, message);
  };

  // Not async: a DM under a policy that needs no store lookup is decided in the same step.
  const decide = (accountId: string, account: AccountConfig, message: InboundMessage): Promise<void> | void => {
    const configCommand = configCommandFor(account, message);
    if (configCommand) return handleConfig(accountId, account, message, configCommand);
    if (message.chatType === 'direct') return handleDirect(accountId, account, message);
    return handleGroup(accountId, account, message);
  };

  const handleConfig = async (accountId: string, account: AccountConfig, message: InboundMessage, command: ConfigCommand) => {
    counts.commands += 1;
    const ctx = { file: deps.configPath, config: deps.config, account, identity: deps.identity(accountId) };
    const out = await runConfigCommand(command, message, ctx);
    const logFields = { accountId, chatId: message.chatId, op: command.op, reason: out.reason, changed: out.changed };
    if (out.reason === 'config-not-owner') log.warn(logFields, '/config from a non-owner ignored');
    else log.info({ ...logFields, reply: out.reply }, '/config command answered');
    deps.bus.emit('message.dropped', { accountId, message, reason: out.reason, markRead: out.reply !== null });
    if (out.reply === null) return;
    const requestId = `config-${randomUUID()}`;
    deps.bus.emit('reply.requested', { accountId, chatJid: message.chatJid, text: out.reply, source: 'command', requestId });
  };

  const handleDirect = (accountId: string, account: AccountConfig, message: InboundMessage): Promise<void> | void => {
    if (message.fromMe || message.isSelfChat || account.dmPolicy === 'disabled' || account.dmPolicy === 'open') {
      return decideDirect(accountId, account, message, false);
    }
    return pairing.isApproved(message.chatId).then(
      (approved) => decideDirect(accountId, account, message, approved),
      (err: unknown) => {
        log.error({ err, accountId }, 'pairing store unreadable; sender treated as not approved');
        return decideDirect(accountId, account, message, false);
      },
    );
  };

  const decideDirect = (accountId: string, account: AccountConfig, message: InboundMessage, approved: boolean): void => {
    const identity = deps.identity(accountId);
    const sender = message.chatId;
    const decision = decideDm({
      dmPolicy: account.dmPolicy,
      allowFrom: account.allowFrom,
      approved: () => approved,
      selfE164: identity?.e164 ?? null,
      selfLid: identity?.lid ?? null,
      sender,
      fromMe: message.fromMe,
      isSelfChat: message.isSelfChat === true,
      selfChatMode: account.selfChatMode,
    });
    if (decision === 'accept') {
      counts.accepted += 1;
      const { agentId, sessionKey } = routeMessage(deps.config, accountId, message);
      const route = { agentId, sessionKey, wasMentioned: false, activation: null };
      deps.bus.emit('message.accepted', { accountId, message, route });
    } else if (decision === 'pairing') {
      counts.pairing += 1;
      deps.bus.emit('pairing.needed', { accountId, message, sender });
    } else {
      drop(accountId, message, decision.slice('drop:'.length), false);
    }
  };

  const handleGroup = async (accountId: string, account: AccountConfig, message: InboundMessage) => {
    const d = decideGroup({
      account,
      message,
      identity: deps.identity(accountId),
      stored: await activations.get(accountId, message.chatJid).catch((err: unknown) => {
        log.warn({ err, accountId }, 'group activations unreadable; using config defaults');
        return undefined;
      }),
      patterns: patternsFor(accountId),
    });
    if (d.kind === 'drop') return drop(accountId, message, d.reason, d.markRead);
    if (d.kind === 'gated') {
      counts.gated += 1;
      history.record(accountId, message.chatJid, message, account.historyLimit);
      deps.bus.emit('message.gated', { accountId, message, reason: d.reason });
      return;
    }
    if (d.kind === 'command') {
      counts.commands += 1;
      let text = activationConfirmation(d.activation);
      try {
        await activations.set(accountId, message.chatJid, d.activation);
      } catch (err) {
        log.error({ err, accountId }, 'could not save group activation');
        text = `Could not save the group activation: ${(err as Error).message}`;
      }
      deps.bus.emit('message.dropped', { accountId, message, reason: 'activation-command', markRead: true });
      deps.bus.emit('reply.requested', {
        accountId,
        chatJid: message.chatJid,
        text,
        source: 'command',
        requestId: `activation-${randomUUID()}`,
      });
      return;
    }
    counts.accepted += 1;
    const route = {
      ...routeMessage(deps.config, accountId, message),
      wasMentioned: d.wasMentioned,
      activation: d.activation,
      history: history.take(accountId, message.chatJid, account.historyLimit),
    };
    deps.bus.emit('message.accepted', { accountId, message, route });
  };

  const chatKey = (accountId: string, chatJid: string) => `${accountId}\u0000${chatJid}`;
  /** Queue the unfinished entries of `accounts` first in their chats (src/ledger/resume.ts). */
  const queueResumable = (accounts: readonly string[], why: string): Promise<void> => {
    if (accounts.length === 0) return Promise.resolve();
    // The lease epoch each account is queued in (a lease that ended meanwhile: not here).
    const epoch = new Map(accounts.map((id) => [id, epochOf(id)]));
    return loadResumable(ledger, { accounts, now: deps.now(), catchUpMinutes: deps.config.web.catchUpMinutes }).then(
      ({ resume: all, expired }) => {
        counts.expired += expired;
        const entries = all.filter((e) => epoch.get(e.accountId) === epochOf(e.accountId));
        for (const e of entries) {
          ledger.markOpen(e, 'waiting for its account to connect');
          void chats
            .run(chatKey(e.accountId, e.chatJid), () => resume(e, epoch.get(e.accountId)!))
            .catch((err: unknown) => log.error({ err, accountId: e.accountId, id: e.messageId }, 'resuming a message failed'));
        }
        if (entries.length + expired > 0) log.info({ resumed: entries.length, expired, accounts }, `inbound ledger: unfinished messages ${why}`);
      },
      (err: unknown) => log.error({ err, accounts }, 'could not read the inbound ledger to resume unfinished messages'),
    );
  };
  // Unfinished entries of the last run go first in their chats' queues. Only accounts that
  // run here: a disabled account's entries wait for it to run; on a cluster node, for its lease.
  const resumeQueued = queueResumable(
    deps.config.web.enabled && !deps.leased ? [...deps.accounts.values()].filter((a) => a.enabled).map((a) => a.accountId) : [],
    'of the last run',
  );
  const offTaken = deps.bus.on('account.lease.taken', ({ accountId }) => {
    // A new runtime: not connected yet, whatever an earlier lease here saw.
    epochs.set(accountId, epochOf(accountId) + 1);
    connected.delete(accountId);
    if (stopped || !deps.config.web.enabled || !deps.accounts.get(accountId)?.enabled) return;
    // Set synchronously, before the account starts: its first message waits for this.
    const epoch = epochOf(accountId);
    const queued = resumeQueued.then(() =>
      epochOf(accountId) === epoch ? queueResumable([accountId], 'left unfinished by its last owner, resumed on taking its lease') : undefined,
    );
    accountResumes.set(accountId, queued);
  });
  const offEnded = deps.bus.on('account.lease.ended', ({ accountId }) => {
    epochs.set(accountId, epochOf(accountId) + 1);
    accountResumes.delete(accountId);
    // Release resumes waiting for a connection that will not come here (they see the new epoch).
    connected.get(accountId)?.resolve();
    connected.delete(accountId);
  });

  // Once the last run's entries are queued (and while no lease resume is pending), a new
  // message goes straight to its chat's queue, without waiting on a settled promise first.
  let resumedAll = false;
  void resumeQueued.then(() => (resumedAll = true));
  const offReceived = deps.bus.on('message.received', ({ accountId, message }) => {
    // Recorded now, before anything else (one store commit per event-loop turn); while
    // the gateway stops it is only recorded, for the next start to handle.
    const recorded = ledger.arrive(accountId, message);
    if (stopped) {
      ledger.markClosed(keyOf(accountId, message));
      return recorded.then(
        () => undefined,
        (err: unknown) => log.error({ err, accountId, id: message.id }, 'could not record a message arriving during the stop'),
      );
    }
    const failed = (err: unknown) => log.error({ err, accountId, id: message.id }, 'access policy failed');
    const queue = () => chats.run(chatKey(accountId, message.chatJid), () => handle(accountId, message, recorded));
    const waitFor = accountResumes.get(accountId) ?? (resumedAll ? null : resumeQueued);
    return (waitFor ? waitFor.then(queue) : queue()).catch(failed);
  });
  // A live message held for its chat's order is acknowledged to WhatsApp already: it is
  // recorded now (a kill during the hold leaves it `received`, resumed at the next
  // start) and handled when its `message.received` comes.
  const offHeld = deps.bus.on('message.held', ({ accountId, message }) =>
    ledger.arriveHeld(accountId, message).then(
      () => undefined,
      (err: unknown) => log.error({ err, accountId, id: message.id }, 'could not record a held message in the inbound ledger (it is recorded when released)'),
    ),
  );
  const offConnected = deps.bus.on('account.connected', ({ accountId }) => {
    const c = connected.get(accountId);
    if (c) c.resolve();
    else connected.set(accountId, { promise: Promise.resolve(), resolve: () => undefined });
  });
  const offDelivered = deps.bus.on('reply.delivered', ({ accountId, chatJid, messageIds }) => {
    if (messageIds.length > 0) ledger.rememberSent(accountId, messageIds);
    history.clearDelivered(accountId, chatJid);
  });
  const offStopping = deps.bus.on('gateway.stopping', () => {
    stopped = true;
  });

  return {
    name: 'access-policy',
    summary: () => ({
      ...counts,
      ledger: ledger.summary(),
      activations: activations.count(),
      history: history.summary(),
    }),
    stop: async () => {
      stopped = true;
      offReceived();
      offHeld();
      offConnected();
      offDelivered();
      offStopping();
      offTaken();
      offEnded();
      // Resumed entries still waiting for a connection stay unfinished, for the next start.
      for (const c of connected.values()) c.resolve();
      await chats.idle();
      await ledger.flush();
    },
  };
}
