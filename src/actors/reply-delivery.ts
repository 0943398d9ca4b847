/**
 * Reply delivery (SPEC §6): on `reply.requested`, prefix, chunk and send the
 * text through the account's live connection, chunk by chunk; then
 * `reply.delivered` or `reply.failed`. One chat's replies go out in order.
 *
 * Idempotent (issue 13): every chunk / media item of a request is sent under a
 * WhatsApp message id derived from (account, request id, index) — `replyMessageId`
 * — so the same request sent again carries the same ids, and a phone shows each id
 * once. `beforeSend` learns every id before the first one goes out.
 *
 * Replies wait for the connection (reply/connection-wait.ts): a reply for an account
 * that is connecting or backing off waits until it is connected again, at most
 * `web.catchUpMinutes` after it was requested; a send that fails because the socket
 * closed goes back to waiting and then sends the chunks not yet sent, under their
 * same ids. Only a final state (logged out, conflict, gave up…) or the window running
 * out fails it. While connected, a transient failure is retried (3 tries, 500 ms
 * then 2 s). A reply for an account never heard of fails at once with "No active
 * WhatsApp listener for account <id> …". On stop, nothing is awaited further: the
 * unfinished replies fail with WAGATE_ERR_STOPPING (unfinished, not given up).
 *
 * Media (SPEC §7): every item is prepared first (src/media/plan.ts); text chunks
 * go out, then the items (caption on the first only). An item that cannot be
 * sent fails the whole request before anything is sent — except an agent's
 * reply, which sends the rest plus "⚠️ could not send <name>: <reason>".
 * What media may be read depends on who asks (src/media/access.ts): a CLI send is
 * the local owner's (any path or URL); everything else is agent-produced (media
 * roots only, no private addresses); nobody reads the gateway's secrets.
 */
import crypto from 'node:crypto';
import { classifySendError } from '../../machines/index.js';
import { sharedAbortController, untilAborted } from '../abortable.js';
import type { BusEvents } from '../bus/events.js';
import { agentForAccount } from '../config/index.js';
import { toErrorInfo, WagateError } from '../errors.js';
import type { ActorDeps, RunningActor } from './actor.js';
import { ConnectionWait, type TimerClock } from './reply/connection-wait.js';
import { subLogger } from '../log.js';
import { agentMediaAccess, ownerMediaAccess, type MediaAccess } from '../media/access.js';
import { mediaWarning, planSend } from '../media/plan.js';
import { mediaOptions, type PrepareOptions, type PreparedMedia, type MediaRequest } from '../media/prepare.js';
import type { Connection, OutboundMedia, SendResult } from '../ports/transport.js';
import { chunkText } from '../access/text/chunking.js';
import { longTimerClock } from '../timers.js';

/** SPEC §6: a send is tried at most 3 times while connected, waiting 500 ms then 2 s. */
export const SEND_RETRY = { tries: 3, firstDelayMs: 500, factor: 4 } as const;

/** Errors worth another try (classified beside the close codes, machines/close-codes.ts). */
export function isTransient(err: unknown): boolean {
  return classifySendError(err) === 'transient';
}

/**
 * The WhatsApp message id of part `index` (0-based: text chunks, then media items,
 * then warnings) of reply `requestId` on `accountId`: shaped like Baileys' own ids
 * (`3EB0` + 18 upper-case hex digits, generateMessageIDV2) and the same every time.
 */
export function replyMessageId(accountId: string, requestId: string, index: number): string {
  const hash = sha256Hex(`wagate-reply\u0000${accountId}\u0000${requestId}\u0000${index}`);
  return `3EB0${hash.slice(0, 18).toUpperCase()}`;
}

/** SHA-256 in hex: Node's one-shot `crypto.hash` (20.12+, no Hash object per call), else createHash. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
const sha256Hex = oneShot
  ? (data: string): string => oneShot('sha256', data, 'hex')
  : (data: string): string => crypto.createHash('sha256').update(data).digest('hex');

/** The first chunk's prefix: messages.responsePrefix, else in self-chat `[<identity.name>]` / `[wagate]`. */
export function responsePrefix(deps: ActorDeps, accountId: string, selfChat: boolean): string {
  const configured = deps.config.messages.responsePrefix;
  if (configured !== undefined) return configured;
  if (!selfChat) return '';
  const name = agentForAccount(deps.config, accountId)?.identity?.name;
  return `[${name || 'wagate'}]`;
}

/** What one request sends, in order: each part is one WhatsApp message. */
type Part = { kind: 'text'; text: string } | { kind: 'media'; item: OutboundMedia };
const textPart = (text: string): Part => ({ kind: 'text', text });

/** What `beforeSend` is told: the ids every part of the request will be sent under. */
export interface SendPlanned {
  accountId: string;
  chatJid: string;
  requestId: string;
  messageIds: string[];
  at: number;
}

export interface ReplyDeliveryOptions {
  /** Media preparation (tests replace it; default src/media/prepare.ts). */
  prepareMedia?: (req: MediaRequest, opts: PrepareOptions) => Promise<PreparedMedia>;
  /** Changes to the media access policies (tests: DNS, address ranges). */
  mediaAccess?: Partial<MediaAccess>;
  /**
   * Awaited before the first part of each request goes out, with the ids of every
   * part planned (the inbound ledger records them); when it throws, nothing is sent
   * and the reply fails with its error.
   */
  beforeSend?: (plan: SendPlanned) => Promise<void>;
  /** Timers for the retry backoff and the connection wait (tests inject one; default src/timers.ts). */
  timers?: TimerClock;
}

export interface ReplyDeliveryActor extends RunningActor {
  /** True while a reply is queued, sending or waiting for its connection. */
  busy(): boolean;
  /** Resolves when every reply taken so far has been delivered or has failed. */
  idle(): Promise<void>;
}

export function startReplyDelivery(deps: ActorDeps, opts: ReplyDeliveryOptions = {}): ReplyDeliveryActor {
  const log = subLogger(deps.logger, 'whatsapp/outbound');
  const timers = opts.timers ?? longTimerClock;
  const stopError = () => new WagateError('WAGATE_ERR_STOPPING', 'The gateway stopped before this reply was sent; it was left unfinished.');
  // Aborted when the gateway stops: waits and stuck sends are abandoned at once.
  const stopping = sharedAbortController();
  const wait = new ConnectionWait(deps.now, timers);
  let delivered = 0;
  let failed = 0;
  let inFlight = 0;
  const accessCtx = { config: deps.config, stateDir: deps.stateDir, configPath: deps.configPath, accounts: [...deps.accounts.values()] };
  const ownerAccess: MediaAccess = { ...ownerMediaAccess(accessCtx), ...opts.mediaAccess };
  const agentAccess: MediaAccess = { ...agentMediaAccess(accessCtx), ...opts.mediaAccess };
  const windowMinutes = deps.config.web.catchUpMinutes;

  /** Wait `ms` on the injected timers; rejects at once when the gateway stops. */
  const delay = (ms: number) =>
    new Promise<void>((resolve, reject) => {
      if (stopping.signal.aborted) return reject(stopError());
      const onAbort = () => {
        timers.clearTimeout(t);
        reject(stopError());
      };
      const t = timers.setTimeout(() => {
        stopping.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      stopping.signal.addEventListener('abort', onAbort, { once: true });
    });

  function sendPart(conn: Connection, chatJid: string, part: Part, messageId: string): Promise<SendResult> {
    return part.kind === 'text' ? conn.sendText(chatJid, part.text, { messageId }) : conn.sendMedia(chatJid, part.item, { messageId });
  }

  /**
   * Send one part under its id: wait while the account is reconnecting, retry a
   * transient failure while it stays connected, go back to waiting when it is not.
   */
  async function sendOne(accountId: string, chatJid: string, part: Part, messageId: string, deadline: number): Promise<string> {
    let attempt = 0;
    for (;;) {
      if (!wait.readyNow(accountId, stopping.signal) && (await wait.ready(accountId, { deadline, windowMinutes, signal: stopping.signal }))) {
        attempt = 0; // a new connection: a fresh set of tries
        log.info({ accountId, messageId }, 'account connected again; sending the reply that waited');
      }
      try {
        return (await untilAborted(sendPart(deps.connection(accountId), chatJid, part, messageId), stopping.signal)).id;
      } catch (err) {
        if (stopping.signal.aborted) throw stopError();
        if (!isTransient(err)) throw err;
        attempt += 1;
        if (wait.disconnected(accountId)) {
          log.warn({ accountId, messageId, err: (err as Error).message }, 'send failed; the account is reconnecting, waiting for it');
          continue;
        }
        if (attempt >= SEND_RETRY.tries) throw err;
        log.warn({ accountId, attempt, err: (err as Error).message }, 'send failed; retrying');
        await delay(SEND_RETRY.firstDelayMs * SEND_RETRY.factor ** (attempt - 1));
      }
    }
  }

  /** The request's parts, in sending order (media prepared; an item refused fails it here). A text reply's at once. */
  function partsOf(req: BusEvents['reply.requested']): Part[] | Promise<Part[]> {
    const acc = deps.accounts.get(req.accountId);
    const prefix = responsePrefix(deps, req.accountId, req.selfChat ?? false);
    const text = prefix ? `${prefix} ${req.text}` : req.text;
    const chunking = { limit: acc?.textChunkLimit ?? 4000, mode: acc?.chunkMode ?? 'length' } as const;
    if (!req.media?.length) return chunkText(text, chunking).map(textPart);
    return mediaPartsOf(req, req.media, text, (t) => chunkText(t, chunking));
  }

  async function mediaPartsOf(
    req: BusEvents['reply.requested'],
    media: NonNullable<BusEvents['reply.requested']['media']>,
    text: string,
    chunk: (t: string) => string[],
  ): Promise<Part[]> {
    const plan = await planSend({
      text: req.text.trim() ? text : '',
      media,
      chunk,
      prepare: opts.prepareMedia,
      options: { ...mediaOptions(deps.config), load: { access: req.source === 'cli' ? ownerAccess : agentAccess } },
    });
    const { accountId } = req;
    for (const f of plan.failures) log.warn({ accountId, source: req.source, code: f.error.code, err: f.error.message }, 'media item not sent');
    for (const m of plan.media) for (const w of m.warnings) log.warn({ accountId, warning: w }, 'media warning');
    const [failure] = plan.failures;
    if (failure && req.source !== 'agent') throw new WagateError(failure.error.code, failure.error.message);
    return [
      ...plan.texts.map((t): Part => ({ kind: 'text', text: t })),
      ...plan.media.map((m): Part => ({ kind: 'media', item: m.item })),
      ...plan.failures.map((f): Part => ({ kind: 'text', text: mediaWarning(f) })),
    ];
  }

  async function deliver(req: BusEvents['reply.requested'], requestedAt: number, key: string, chat: ChatQueue): Promise<void> {
    const { accountId, chatJid, requestId } = req;
    const deadline = requestedAt + windowMinutes * 60_000;
    const ids: string[] = [];
    inFlight += 1;
    try {
      if (stopping.signal.aborted) throw stopError();
      const planning = partsOf(req);
      const parts = planning instanceof Promise ? await planning : planning;
      const planned = parts.map((_, i) => replyMessageId(accountId, requestId, i));
      await opts.beforeSend?.({ accountId, chatJid, requestId, messageIds: planned, at: deps.now() });
      for (let i = 0; i < parts.length; i += 1) ids.push(await sendOne(accountId, chatJid, parts[i]!, planned[i]!, deadline));
      delivered += 1;
      log.info({ accountId, chunks: ids.length, source: req.source }, 'reply delivered');
      deps.bus.emit('reply.delivered', { accountId, chatJid, requestId, messageIds: ids, at: deps.now() });
    } catch (err) {
      failed += 1;
      const error = toErrorInfo(err);
      log.error({ accountId, source: req.source, sentChunks: ids.length, code: error.code, err: error.message }, 'reply failed');
      deps.bus.emit('reply.failed', { accountId, chatJid, requestId, error, at: deps.now() });
    } finally {
      inFlight -= 1;
      // The chat's last queued reply forgets its queue (no `finally` promise pair per reply).
      chat.pending -= 1;
      if (chat.pending === 0 && queues.get(key) === chat) queues.delete(key);
    }
  }

  // One chat's replies go out in order (a waiting one holds the later ones); different chats do not wait for each other.
  // A chat's queue: the promise its next reply waits for, and how many replies are queued or sending.
  interface ChatQueue {
    tail: Promise<void>;
    pending: number;
  }
  const queues = new Map<string, ChatQueue>();
  const settled = Promise.resolve();
  const offRequested = deps.bus.on('reply.requested', (req) => {
    const key = `${req.accountId}\u0000${req.chatJid}`;
    const requestedAt = deps.now();
    let chat = queues.get(key);
    if (!chat) queues.set(key, (chat = { tail: settled, pending: 0 }));
    chat.pending += 1;
    const queue = chat;
    // deliver never rejects: it ends every reply as reply.delivered or reply.failed.
    const next = chat.tail.then(() => deliver(req, requestedAt, key, queue));
    chat.tail = next;
    return next;
  });
  const offState = deps.bus.on('account.state.changed', (ev) => wait.changed(ev));

  return {
    name: 'reply-delivery',
    summary: () => ({ delivered, failed, inFlight, waiting: wait.waiting, queuedChats: queues.size }),
    busy: () => queues.size > 0,
    idle: async () => {
      while (queues.size > 0) await Promise.all([...queues.values()].map((q) => q.tail));
    },
    stop: () => {
      offRequested();
      offState();
      stopping.abort(stopError());
    },
  };
}
