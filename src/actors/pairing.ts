/**
 * The pairing actor (SPEC §5): on `pairing.needed` (an unknown sender wrote
 * under dmPolicy "pairing"), ask the pairing store for a code; when a new one
 * was issued, ask reply-delivery to send it to the sender's chat. A sender who
 * already has a pending code, or a full store (3 pending), or a sender approved
 * meanwhile gets no reply (logged). Approval happens in the store
 * (`wagate pairing approve`), which the access policy reads on every message.
 *
 * A code's reply has a request id derived from the code (`pairing:<code>`), so its
 * WhatsApp message id is the same on every send (reply-delivery derives it from the
 * request id). A kill between issuing a code and sending it would leave the sender
 * with a pending code never shown, and no reply to their next message (issue 13: the
 * chaos test's seed 1008): at the first connection of each account in a process,
 * every pending code of the account is sent again — a phone that already shows it
 * de-duplicates it by id.
 */
import type { InboundMessage } from '../ports/inbound.js';
import type { ActorDeps, RunningActor } from './actor.js';
import { subLogger } from '../log.js';
import type { RandomBytes } from '../pairing/code.js';
import { createPairingStore, PAIRING_TTL_MS, type PairingStore } from '../pairing/store.js';
import { toErrorInfo, type ErrorInfo } from '../errors.js';
import { toChatJid } from '../whatsapp/address.js';

/** The reply request id of a pairing code: one WhatsApp message id per code, however often it is sent. */
export const pairingRequestId = (code: string) => `pairing:${code}`;

export interface PairingActorOptions {
  /** The store to use (default: on `deps.store`, with `deps.now`). */
  store?: PairingStore;
  /** Random source for codes (tests); ignored when `store` is given. */
  random?: RandomBytes;
}

/** The text an unknown sender receives with their code. */
export function pairingReplyText(sender: string, code: string, ttlMs: number = PAIRING_TTL_MS): string {
  const who = sender.startsWith('+') ? `your number ${sender}` : `your WhatsApp id ${sender}`;
  const minutes = Math.round(ttlMs / 60_000);
  const valid = minutes % 60 === 0 ? `${minutes / 60} hour${minutes === 60 ? '' : 's'}` : `${minutes} minutes`;
  return (
    `wagate: ${who} is not approved yet. Pairing code: ${code} (valid ${valid}). ` +
    `Ask the owner to run: wagate pairing approve whatsapp ${code}`
  );
}

export function startPairing(deps: ActorDeps, opts: PairingActorOptions = {}): RunningActor {
  const log = subLogger(deps.logger, 'pairing');
  const store = opts.store ?? createPairingStore({ store: deps.store, now: deps.now, random: opts.random });
  const inflight = new Set<Promise<void>>();
  let stopped = false;
  let pending: number | null = null;
  let codesIssued = 0;
  let lastError: ErrorInfo | null = null;

  const refreshPending = async () => {
    pending = (await store.list()).length;
  };

  const handle = async (accountId: string, message: InboundMessage, sender: string) => {
    const alog = log.child({ accountId });
    if (message.fromMe) {
      alog.warn({ messageId: message.id }, 'pairing.needed for our own message; no code sent');
      return;
    }
    const res = await store.requestCode(sender, accountId, { name: message.from.name });
    if (res.status === 'created') {
      codesIssued += 1;
      alog.info({ sender, expiresAt: res.expiresAt }, 'pairing code issued');
      if (!stopped) {
        deps.bus.emit('reply.requested', {
          accountId,
          chatJid: message.chatJid,
          text: pairingReplyText(sender, res.code),
          source: 'pairing',
          requestId: pairingRequestId(res.code),
        });
      }
    } else if (res.status === 'pending') {
      alog.info({ sender }, 'sender already has a pending pairing code; no reply');
    } else if (res.status === 'full') {
      alog.warn({ sender }, 'pairing requests are full (3 pending); no code, no reply');
    } else {
      alog.info({ sender }, 'sender was approved meanwhile; no pairing code needed');
    }
    await refreshPending();
  };

  const off = deps.bus.on('pairing.needed', ({ accountId, message, sender }) => {
    if (stopped) return;
    const job = handle(accountId, message, sender).catch((err: unknown) => {
      lastError = toErrorInfo(err);
      log.error({ accountId, err }, 'pairing request failed');
    });
    inflight.add(job);
    void job.finally(() => inflight.delete(job));
    return job;
  });

  // Pending codes again at the first connection of each account (see the header).
  const resent = new Set<string>();
  const resend = async (accountId: string) => {
    for (const r of await store.list()) {
      const chatJid = r.accountId === accountId ? toChatJid(r.sender) : null;
      if (!chatJid || stopped) continue;
      log.info({ accountId, sender: r.sender }, 'pending pairing code sent again (same message id: shown once)');
      deps.bus.emit('reply.requested', { accountId, chatJid, text: pairingReplyText(r.sender, r.code), source: 'pairing', requestId: pairingRequestId(r.code) });
    }
  };
  const offConnected = deps.bus.on('account.connected', ({ accountId }) => {
    if (stopped || resent.has(accountId)) return;
    resent.add(accountId);
    const job = resend(accountId).catch((err: unknown) => {
      lastError = toErrorInfo(err);
      log.warn({ accountId, err }, 'could not send the pending pairing codes again');
    });
    inflight.add(job);
    void job.finally(() => inflight.delete(job));
  });

  void refreshPending().catch((err: unknown) => {
    lastError = toErrorInfo(err);
    log.warn({ err }, 'cannot read the pairing store');
  });

  return {
    name: 'pairing',
    summary: () => ({ pending, codesIssued, lastError, store: store.location }),
    async stop() {
      stopped = true;
      off();
      offConnected();
      await Promise.allSettled([...inflight]);
    },
  };
}
