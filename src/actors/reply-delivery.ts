/**
 * Reply delivery (SPEC §6): on `reply.requested`, prefix, chunk and send the
 * text through the account's live connection, chunk by chunk, retrying only
 * transient failures (3 tries, backoff); then `reply.delivered` or
 * `reply.failed`. A reply to an account that is not connected fails at once
 * with "No active WhatsApp listener for account <id> …".
 * Media (SPEC §7): every item is prepared first (src/media/plan.ts); text chunks
 * go out, then the items (caption on the first only). An item that cannot be
 * sent fails the whole request before anything is sent — except an agent's
 * reply, which sends the rest plus "⚠️ could not send <name>: <reason>".
 * What media may be read depends on who asks (src/media/access.ts): a CLI send is
 * the local owner's (any path or URL); everything else is agent-produced (media
 * roots only, no private addresses); nobody reads the gateway's secrets.
 */
import pRetry from 'p-retry';
import { classifySendError } from '../../machines/index.js';
import type { BusEvents } from '../bus/events.js';
import { agentForAccount } from '../config/index.js';
import { toErrorInfo, WagateError } from '../errors.js';
import type { ActorDeps, RunningActor } from './actor.js';
import { subLogger } from '../log.js';
import { agentMediaAccess, ownerMediaAccess, type MediaAccess } from '../media/access.js';
import { mediaWarning, planSend } from '../media/plan.js';
import { mediaOptions, type PrepareOptions, type PreparedMedia, type MediaRequest } from '../media/prepare.js';
import { chunkText } from '../access/text/chunking.js';

/** SPEC §6: a send is tried at most 3 times, waiting 500 ms then 2 s (p-retry's backoff). */
export const SEND_RETRY = { tries: 3, firstDelayMs: 500, factor: 4 } as const;

/** Errors worth another try (classified beside the close codes, machines/close-codes.ts). */
export function isTransient(err: unknown): boolean {
  return classifySendError(err) === 'transient';
}

/** The first chunk's prefix: messages.responsePrefix, else in self-chat `[<identity.name>]` / `[wagate]`. */
export function responsePrefix(deps: ActorDeps, accountId: string, selfChat: boolean): string {
  const configured = deps.config.messages.responsePrefix;
  if (configured !== undefined) return configured;
  if (!selfChat) return '';
  const name = agentForAccount(deps.config, accountId)?.identity?.name;
  return `[${name || 'wagate'}]`;
}

export interface ReplyDeliveryOptions {
  /** Media preparation (tests replace it; default src/media/prepare.ts). */
  prepareMedia?: (req: MediaRequest, opts: PrepareOptions) => Promise<PreparedMedia>;
  /** Changes to the media access policies (tests: DNS, address ranges). */
  mediaAccess?: Partial<MediaAccess>;
  /**
   * Awaited before the first chunk of every request is sent (the gateway writes the
   * reply's message ids into the inbound ledger there); if it throws, nothing is sent
   * and the reply fails.
   */
  beforeSend?: (plan: { accountId: string; chatJid: string; requestId: string; messageIds: string[]; at: number }) => Promise<void>;
}

export function startReplyDelivery(deps: ActorDeps, opts: ReplyDeliveryOptions = {}): RunningActor {
  const log = subLogger(deps.logger, 'whatsapp/outbound');
  // Aborted when the gateway stops: a retry waiting for its backoff gives up at once.
  const stopping = new AbortController();
  let delivered = 0;
  let failed = 0;
  let inFlight = 0;
  const accessCtx = { config: deps.config, stateDir: deps.stateDir, configPath: deps.configPath, accounts: [...deps.accounts.values()] };
  const ownerAccess: MediaAccess = { ...ownerMediaAccess(accessCtx), ...opts.mediaAccess };
  const agentAccess: MediaAccess = { ...agentMediaAccess(accessCtx), ...opts.mediaAccess };

  async function sendChunk(accountId: string, chatJid: string, text: string): Promise<string> {
    return sendWithRetry(accountId, () => deps.connection(accountId).sendText(chatJid, text));
  }

  async function sendWithRetry(accountId: string, send: () => Promise<{ id: string }>): Promise<string> {
    let id: string | undefined;
    try {
      return await pRetry(async () => (id = (await send()).id), {
        retries: SEND_RETRY.tries - 1,
        minTimeout: SEND_RETRY.firstDelayMs,
        factor: SEND_RETRY.factor,
        signal: stopping.signal,
        shouldRetry: ({ error }) => isTransient(error),
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          if (retriesLeft > 0 && isTransient(error)) log.warn({ accountId, attempt: attemptNumber, err: error.message }, 'send failed; retrying');
        },
      });
    } catch (err) {
      // p-retry checks the signal after a successful try too: a chunk that went out is sent.
      if (id !== undefined) return id;
      throw err;
    }
  }

  async function deliver(req: BusEvents['reply.requested']): Promise<void> {
    const acc = deps.accounts.get(req.accountId);
    const prefix = responsePrefix(deps, req.accountId, req.selfChat ?? false);
    const text = prefix ? `${prefix} ${req.text}` : req.text;
    const chunk = (t: string) => chunkText(t, { limit: acc?.textChunkLimit ?? 4000, mode: acc?.chunkMode ?? 'length' });
    const ids: string[] = [];
    inFlight += 1;
    try {
      await opts.beforeSend?.({ accountId: req.accountId, chatJid: req.chatJid, requestId: req.requestId, messageIds: [], at: deps.now() });
      if (req.media?.length) {
        await deliverWithMedia(req, req.text.trim() ? text : '', chunk, ids);
      } else {
        for (const c of chunk(text)) ids.push(await sendChunk(req.accountId, req.chatJid, c));
      }
      delivered += 1;
      log.info({ accountId: req.accountId, chunks: ids.length, source: req.source }, 'reply delivered');
      deps.bus.emit('reply.delivered', { accountId: req.accountId, chatJid: req.chatJid, requestId: req.requestId, messageIds: ids, at: deps.now() });
    } catch (err) {
      failed += 1;
      const error = toErrorInfo(err);
      log.error({ accountId: req.accountId, source: req.source, sentChunks: ids.length, code: error.code, err: error.message }, 'reply failed');
      deps.bus.emit('reply.failed', { accountId: req.accountId, chatJid: req.chatJid, requestId: req.requestId, error, at: deps.now() });
    } finally {
      inFlight -= 1;
    }
  }

  async function deliverWithMedia(
    req: BusEvents['reply.requested'],
    text: string,
    chunk: (t: string) => string[],
    ids: string[],
  ): Promise<void> {
    const plan = await planSend({
      text,
      media: req.media ?? [],
      chunk,
      prepare: opts.prepareMedia,
      options: { ...mediaOptions(deps.config), load: { access: req.source === 'cli' ? ownerAccess : agentAccess } },
    });
    const { accountId, chatJid } = req;
    for (const f of plan.failures) log.warn({ accountId, source: req.source, code: f.error.code, err: f.error.message }, 'media item not sent');
    for (const m of plan.media) for (const w of m.warnings) log.warn({ accountId, warning: w }, 'media warning');
    const [failure] = plan.failures;
    if (failure && req.source !== 'agent') throw new WagateError(failure.error.code, failure.error.message);
    for (const c of plan.texts) ids.push(await sendChunk(accountId, chatJid, c));
    for (const m of plan.media) ids.push(await sendWithRetry(accountId, () => deps.connection(accountId).sendMedia(chatJid, m.item)));
    for (const f of plan.failures) ids.push(await sendChunk(accountId, chatJid, mediaWarning(f)));
  }

  // One chat's replies go out in order; different chats do not wait for each other.
  const queues = new Map<string, Promise<void>>();
  const off = deps.bus.on('reply.requested', (req) => {
    const key = `${req.accountId}\u0000${req.chatJid}`;
    const next = (queues.get(key) ?? Promise.resolve()).then(() => deliver(req));
    queues.set(key, next);
    void next.finally(() => {
      if (queues.get(key) === next) queues.delete(key);
    });
    return next;
  });

  return {
    name: 'reply-delivery',
    summary: () => ({ delivered, failed, inFlight, queuedChats: queues.size }),
    stop: () => {
      off();
      stopping.abort(new WagateError('WAGATE_ERR_INTERNAL', 'gateway stopping'));
    },
  };
}
