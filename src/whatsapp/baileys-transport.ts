/**
 * The Baileys implementation of the transport port (src/ports/transport.ts).
 * One BaileysAccountTransport per account; each `connect()` opens one Baileys
 * socket and translates its events — in this one place — into ConnectionEvents.
 */
import makeWASocket, { DEFAULT_CONNECTION_CONFIG, type SignalDataSet, DisconnectReason, generateMessageIDV2, type WACallEvent, makeCacheableSignalKeyStore, downloadMediaMessage, proto, type AnyMessageContent, type SignalKeyStore, type SignalKeyStoreWithTransaction, type WAMessage } from '@whiskeysockets/baileys';
import type { EventEmitter } from 'node:events';
import https from 'node:https';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { WagateError } from '../errors.js';
import {
  CLOSED_BY_US,
  type AccountTransport,
  type Connection,
  type ConnectionEvent,
  type ConnectionListener,
  type ConnectionMode,
  type ConnectOptions,
  type LinkedIdentity,
  type OutboundMedia,
  type SendResult,
  type WebVersionInUse,
} from '../ports/transport.js';
import type { Store } from '../store/port.js';
import { inspectCreds } from './auth-creds.js';
import { importAuthDir } from './auth-import.js';
import { storedCredsLinked, useStoreAuthState } from './store-auth-state.js';
import { badChatMessage, bareJid, jidToE164, toChatJid } from './address.js';
import { normalizeMessage } from './normalize.js';
import { connectionEnded, sendFailure, waitForAck, type ConnectionUpdates } from './send-ack.js';
import { RetryCounterCache } from './retry-counter-cache.js';
import { SocketGroupCache } from './group-metadata-cache.js';
import { proxyAgents, redactProxyUrl, type ProxyAgents } from './proxy.js';
import type { InboundMessage } from '../ports/inbound.js';
import { versionInUse, type ResolvedWebVersion, type WebVersionResolver } from './web-version.js';
import { connectRetryingOutdated } from './web-version-retry.js';
import { DECRYPTED_CATEGORY, DecryptReplay } from './decrypt-replay.js';
import { ForgetWhenRecorded, readKeptDecryptions } from './decrypt-recovery.js';
import { serializeSignal } from './signal-serial.js';
import { installTrialDecrypt } from './libsignal-trial-decrypt.js';
import { InboundOrder } from './inbound-order.js';
import { StanzaOrder } from './stanza-order.js';
import { OwnLidSession } from './own-lid-session.js';
import { collectAsyncStorages, disableAsyncStorages, disableWhileIdle } from './async-storages.js';

export interface BaileysTransportOptions {
  accountId: string;
  /** The process's store: creds, Signal keys, sent messages, LID map. */
  store: Store;
  /** Resolves the account's old auth dir (legacy layout aware), imported once into the store. */
  authDir: () => Promise<string>;
  /** `web.url`: the WhatsApp Web endpoint (the simulator sets it). */
  url: string;
  /** `web.deviceName`: the name the phone's Linked Devices shows (DeviceProps `os`). */
  deviceName?: string;
  /** The process's WhatsApp Web version (web-version.ts); absent = Baileys' bundled one. */
  webVersions?: Pick<WebVersionResolver, 'resolve' | 'pinned'>;
  /** `rejectCalls`: reject incoming calls; `message` (`rejectCallMessage`) goes once to each caller. */
  rejectCalls?: { message?: string };
  /** `proxy`: carries the WebSocket and media transfers (may hold credentials: never logged as is). */
  proxy?: string;
  logger: Logger;
  /** Baileys keep-alive period; tests shorten it. */
  keepAliveIntervalMs?: number;
  /** The longest a live message waits for its connection's offline backlog (inbound-order.ts). */
  inboundHoldMaxMs?: number;
}

/** The last event of a connection. */
type ConnectionClosed = Extract<ConnectionEvent, { type: 'close' }>;

/** Sent messages kept in the store per account for Baileys' retry requests (`getMessage`). */
export const SENT_KEEP = 1000;
/** Received media messages kept in memory for `downloadMedia`. */
const MEDIA_CACHE = 500;
/** After a close: how long the auth state must see no new write before the close is reported. */
const CLOSE_QUIET_MS = 50;
/** Our own close waits at most this long for the message stanzas in flight to be upserted. */
export const CLOSE_SETTLE_MS = 1_000;
/** The longest a message waits for an earlier stanza of its chat Baileys has not upserted (up to about twice this; stanza-order.ts). */
const STANZA_HOLD_MS = 3_000;
/** Kept plaintexts that cannot become a ledger entry are dropped after this long (a redelivery comes on the next connection). */
const UNUSABLE_KEPT_MS = 24 * 60 * 60 * 1000;
/** A close waits at most this long for Baileys' own-LID work after a login (own-lid-session.ts). */
export const OWN_LID_SETTLE_MS = 3_000;
/** WhatsApp's close code for a client it thinks too old (Baileys has no name for it). */
const CLIENT_OUTDATED = 405;
/** Default longest hold of a live message behind the offline backlog (inbound-order.ts). */
export const INBOUND_HOLD_MAX_MS = 10_000;

export class BaileysAccountTransport implements AccountTransport {
  readonly accountId: string;
  /**
   * LID JID → E.164 this process resolved (normalizing is synchronous). The source of
   * truth is Baileys' own mapping (`signalRepository.lidMapping`, kept in the store's
   * `lid-mapping` keys through the auth state: it survives a restart and learns from
   * usync answers, message attributes and WhatsApp's notifications); the store's LID
   * map is its mirror and the fallback (imported state, mappings Baileys never saw).
   */
  private readonly lidToE164 = new Map<string, string>();
  /** The inbound batch being prepared (LID lookups); later batches wait for it, in order. */
  private inbound: Promise<void> = Promise.resolve();
  private inboundBusy = 0;
  /** The one-time import of the old auth dir (SPEC §12), once per transport. */
  private imported: Promise<void> | undefined;
  /** Received media messages by id, for `downloadMedia` (bounded, oldest dropped). */
  private readonly received = new Map<string, WAMessage>();
  /** Call ids already rejected (an offer can come twice: live and as offer_notice). */
  private readonly rejected = new Set<string>();
  /** Re-sends per message and device after retry receipts: kept across this account's sockets. */
  private readonly retryCounts = new RetryCounterCache();
  /** The proxy's agents (WebSocket + uploads, downloads), made once per transport. */
  private proxyAgentsMade: ProxyAgents | undefined;
  /** The WhatsApp Web version the latest connection announced. */
  private version: WebVersionInUse | null = null;

  constructor(private readonly opts: BaileysTransportOptions) {
    this.accountId = opts.accountId;
  }

  /**
   * The linked identity in the store; when the store has no creds for the account,
   * what its old auth dir holds (imported at the next connect). Read only; a read
   * error throws, it is never "not linked".
   */
  private async linkedId(): Promise<string | undefined> {
    const { store } = this.opts;
    if (await store.creds.load(this.accountId)) return (await storedCredsLinked(store, this.accountId)).meId;
    return (await inspectCreds(await this.opts.authDir())).meId;
  }

  async hasCreds(): Promise<boolean> {
    return (await this.linkedId()) !== undefined;
  }

  async savedIdentity(): Promise<LinkedIdentity | null> {
    const meId = await this.linkedId();
    return meId ? { jid: meId, e164: jidToE164(meId), lid: null, name: null } : null;
  }

  /** Import the old auth dir into the store if it has not been (see auth-import.ts). */
  private importOnce(): Promise<void> {
    this.imported ??= (async () => {
      await importAuthDir({ store: this.opts.store, accountId: this.accountId, dir: await this.opts.authDir(), log: this.opts.logger });
    })();
    // A failure is retried on the next call (the files are still there).
    this.imported.catch(() => (this.imported = undefined));
    return this.imported;
  }

  async logout(): Promise<string[]> {
    // Old files not imported yet are imported (and so moved aside) first: logout leaves nothing that links again.
    await this.importOnce();
    const { store } = this.opts;
    const had = await store.creds.load(this.accountId);
    const keys = Object.values(await store.keys.count(this.accountId)).reduce((a, b) => a + b, 0);
    if (!had && keys === 0) return [];
    await store.creds.remove(this.accountId);
    return [`${store.location}: the creds and ${keys} Signal key(s) of account ${this.accountId}`];
  }

  webVersion(): WebVersionInUse | null {
    return this.version;
  }

  /** One connection; a 405 fetches the WhatsApp Web version again and retries once (web-version-retry.ts). */
  connect(mode: ConnectionMode, listener: ConnectionListener, opts: ConnectOptions = {}): Connection {
    const versions = this.opts.webVersions;
    if (!versions) return this.open(mode, listener, undefined, opts.mayWrite);
    return connectRetryingOutdated<ResolvedWebVersion>({
      open: (l, refreshed) => this.open(mode, l, refreshed, opts.mayWrite),
      refresh: () => versions.resolve({ refresh: true }),
      pinned: versions.pinned,
      listener,
      onRetry: (code, reason) => this.opts.logger.warn({ code, reason }, 'WhatsApp says this client is outdated; fetching the current WhatsApp Web version and retrying once'),
    });
  }

  private open(mode: ConnectionMode, listener: ConnectionListener, refreshed?: ResolvedWebVersion, mayWrite?: () => boolean): Connection {
    const log = this.opts.logger;
    let sock: ReturnType<typeof makeWASocket> | null = null;
    let closedByUs = false;
    // Message stanzas seen on the socket and not upserted yet (see `InflightMessages`).
    const inflight = new InflightMessages();
    const groups = new SocketGroupCache();
    const groupMetadata = (jid: string) => groups.get(jid, (j) => live().groupMetadata(j));
    // Baileys' own-LID key writes after a login, which can outlive the socket.
    const ownLid = new OwnLidSession();
    let done = false;
    // Rejects (transient "Connection Closed") once this socket ended: Baileys' queries on a
    // socket it ended itself (a stream error) hear of it only at their 60 s timeout, so
    // every call that may query (a read receipt asks the privacy settings, a reaction the
    // devices…) is raced against it (`untilEnded`) and fails at once instead — a read
    // receipt held that minute held the stop's bus handlers (chaos seed 2000, step 22).
    let socketEnded: () => void = () => undefined;
    const ended = new Promise<never>((_, reject) => (socketEnded = () => reject(connectionEnded())));
    ended.catch(() => undefined);
    const untilEnded = <T>(work: Promise<T>): Promise<T> => {
      work.catch(() => undefined); // once abandoned, its failure is nobody's
      return Promise.race([work, ended]);
    };
    let reported: () => void = () => undefined;
    // Settles once the close was reported, i.e. once the key writes in flight landed.
    const closeReported = new Promise<void>((r) => (reported = r));
    let storages: Parameters<typeof disableAsyncStorages>[0] = [];
    const finish = (close: ConnectionClosed) => {
      if (done) return;
      done = true;
      listener(close);
      reported();
      disableAsyncStorages(storages);
    };

    const ready = (async () => {
      const db = this.opts.store;
      await this.importOnce();
      let store = await useStoreAuthState({ store: db, accountId: this.accountId, log });
      if (mode === 'link' && store.state.creds.me) {
        // Re-linking (after a logout by WhatsApp, a conflict…): the old identity would
        // only log in again, not show a QR. A new link is a new device: start afresh.
        await db.creds.remove(this.accountId);
        log.warn('re-linking: the previous device identity was removed');
        store = await useStoreAuthState({ store: db, accountId: this.accountId, log });
      }
      if (mode === 'resume' && !store.state.creds.me) {
        throw new WagateError('WAGATE_ERR_NOT_LINKED', `Account ${this.accountId} has no saved creds; run \`wagate channels login\`.`);
      }
      const version = refreshed ?? (await this.opts.webVersions?.resolve());
      if (version) this.version = versionInUse(version);
      if (closedByUs) return;
      // A failed decryption attempt must not spoil a session (libsignal-trial-decrypt.ts).
      installTrialDecrypt();
      // Signal keys are read on every message: serve them from memory, write through to the store.
      // One child logger per connection for all of Baileys' logging (a pino child is not free; 200 accounts).
      const blog = baileysLogger(log);
      const keys = makeCacheableSignalKeyStore(store.state.keys, blog as never);
      // A message whose handling a drop cut short after its decryption can be decrypted again (decrypt-replay.ts).
      const replay = new DecryptReplay(() => keys);
      // Messages a kill cut off after their receipt, before the ledger had them (decrypt-recovery.ts).
      const recovered = mode === 'resume' && store.state.creds.me ? await this.recoverKept(store.state.creds.me, keys, replay) : [];
      if (closedByUs) return;
      // Its AsyncLocalStorage instances are disabled once its close is reported (async-storages.ts).
      ({ result: sock, storages } = collectAsyncStorages(() => makeWASocket({
        // Encrypt and decrypt of one contact's session run one at a time, each saved when it returns (signal-serial.ts).
        makeSignalRepository: serializeSignal(replay.wrap(DEFAULT_CONNECTION_CONFIG.makeSignalRepository), () => keys),
        waWebSocketUrl: this.opts.url,
        auth: { creds: store.state.creds, keys },
        logger: ownLid.watch(blog) as never,
        markOnlineOnConnect: false,
        // [os, browser, version]: the phone lists the device by `os`.
        browser: [this.opts.deviceName ?? 'wagate', 'Chrome', '14.4.1'],
        // Our own sends are not news: without this Baileys upserts them back as
        // messages, and a self-chat reply would be taken for a new prompt.
        emitOwnEvents: false,
        syncFullHistory: false,
        ...(version ? { version: version.value } : {}),
        // Baileys spreads these over its defaults, so a key present with `undefined`
        // replaces the default: an undefined keepAliveIntervalMs became a 1 ms
        // ping interval. Options we do not set are left out, never undefined.
        ...(this.opts.keepAliveIntervalMs !== undefined ? { keepAliveIntervalMs: this.opts.keepAliveIntervalMs } : {}),
        // The simulator's media host is self-signed on loopback; real WhatsApp never is.
        ...(isLoopbackUrl(this.opts.url) ? { fetchAgent: new https.Agent({ rejectUnauthorized: false }) } : {}),
        // `proxy`: the WebSocket and uploads go through it (downloads: see downloadMedia).
        ...(this.proxy() ? { agent: this.proxy()!.agent, fetchAgent: this.proxy()!.agent } : {}),
        getMessage: async (key) => (key.id ? this.sentMessage(key.id) : undefined),
        msgRetryCounterCache: this.retryCounts,
        // Group sends read the members from here instead of asking WhatsApp every time.
        cachedGroupMetadata: (jid) => groupMetadata(jid).catch(() => undefined),
      })));
      const s = sock;
      disableWhileIdle(storages);
      if (mayWrite) fenceWrites(s, mayWrite, log);
      persistPrivacyTokens(s, keys);
      // In order per chat: live messages wait for this connection's offline backlog.
      const order = new InboundOrder({
        deliver: (out) => listener({ type: 'messages', messages: out }),
        onHold: (held) => {
          log.debug({ ids: held.map((m) => m.id) }, 'live messages held for the offline backlog (recorded now)');
          listener({ type: 'held', messages: held });
        },
        holdMaxMs: this.opts.inboundHoldMaxMs ?? INBOUND_HOLD_MAX_MS,
        onHoldExpired: (info) => log.warn(info, 'live messages held for the offline backlog were released by the time limit'),
      });
      // Per chat in the socket's order, whatever order Baileys upserts in (stanza-order.ts).
      const stanzas = new StanzaOrder<InboundMessage>({
        deliver: (out) => {
          order.offer(out);
          order.settle();
        },
        idOf: (m) => m.id,
        holdMaxMs: STANZA_HOLD_MS,
        onGiveUp: (info) => log.warn(info, 'messages waited for earlier stanzas of their chat that never came out of Baileys; handed over without them'),
      });
      // Runs `fn` after the inbound batches still being prepared (LID look-ups), or now.
      const afterInbound = (fn: () => void) => {
        if (this.inboundBusy === 0) return fn();
        this.inboundBusy += 1;
        this.inbound = this.inbound
          .then(fn)
          .catch((err: unknown) => log.error({ err }, 'ordering inbound messages failed'))
          .finally(() => (this.inboundBusy -= 1));
      };
      s.ws.on('CB:success', (node: { attrs?: Record<string, string> }) => ownLid.started(node.attrs?.lid, store.state.creds.me?.id));
      s.ws.on('message', () => listener({ type: 'activity', at: Date.now() }));
      // 'frame' is emitted before Baileys' own stanza handlers see the node.
      s.ws.on('frame', (node: unknown) => {
        const n = node as { tag?: string; attrs?: Record<string, string> };
        if (n.tag === 'message' && n.attrs?.id) inflight.seen(n.attrs.id);
        if (n.tag === 'message' && n.attrs?.offline && n.attrs.id) order.offlineStanza(n.attrs.id);
        if (n.tag === 'message' && n.attrs?.id && n.attrs.from) stanzas.seen(n.attrs.id, n.attrs.from);
        replay.seen(node);
      });
      s.ev.on('creds.update', () => {
        store.saveCreds().catch((err: unknown) => log.error({ err }, 'saving creds failed'));
      });
      // Kept plaintexts go once the ledger has their messages (decrypt-recovery.ts).
      const forgetter = new ForgetWhenRecorded({
        forget: (ids) => replay.forget(ids),
        recorded: async (m) => (await db.ledger.get({ accountId: this.accountId, chatJid: m.chatJid, messageId: m.id })) !== undefined,
        onError: (err) => log.warn({ err }, 'could not forget the kept plaintexts of handled messages'),
      });
      const onUpsert = (messages: WAMessage[], type: string) => {
        const ids = messages.map((m) => m.key.id).filter((id): id is string => Boolean(id));
        inflight.done(ids);
        const self = s.user;
        if (!self) {
          // Not logged in: nothing is handed over, nothing kept is needed.
          void replay.forget(ids).catch((err: unknown) => log.warn({ err }, 'could not forget the kept plaintexts of handled messages'));
          return afterInbound(() => {
            order.upserted(ids);
            stanzas.upserted(ids, []);
            order.settle();
          });
        }
        const normalizeAll = (): InboundMessage[] => {
          const out: InboundMessage[] = [];
          for (const m of messages) {
            const res = normalizeMessage(m, {
              accountId: this.accountId,
              self: { jid: self.id, e164: jidToE164(self.id), lid: self.lid ?? null },
              upsertType: type === 'notify' ? 'notify' : 'append',
              lidToE164: (lid) => this.lidToE164.get(lid) ?? null,
            });
            if (res.ok) {
              const { lid, e164 } = res.message.from;
              if (lid && e164 && this.lidToE164.get(lid) !== e164) this.learnLid(lid, e164);
              out.push(res.message);
              if (res.message.media) this.keepMedia(res.message.id, m);
            } else log.debug({ reason: res.reason, detail: res.detail }, 'inbound message ignored');
          }
          return out;
        };
        const deliver = (out: InboundMessage[]) => {
          order.upserted(ids);
          stanzas.upserted(ids, out);
          order.settle();
          forgetter.upserted(ids, out);
        };
        // LIDs this batch needs that were never looked up in the store: look them up
        // first (in order behind earlier batches); else deliver at once, as before.
        const missing = this.unknownLids(messages, self, type);
        if (missing.length === 0 && this.inboundBusy === 0) return deliver(normalizeAll());
        this.inboundBusy += 1;
        this.inbound = this.inbound
          .then(() => this.lookUpLids(missing, (lid) => s.signalRepository.lidMapping.getPNForLID(lid)))
          .then(() => deliver(normalizeAll()))
          .catch((err: unknown) => log.error({ err }, 'handling inbound messages failed'))
          .finally(() => (this.inboundBusy -= 1));
      };
      // Recovered messages first: they are older than anything this connection brings.
      if (recovered.length > 0) onUpsert(recovered, 'append');
      s.ev.on('messages.upsert', ({ messages, type }) => onUpsert(messages, type));
      s.ev.on('call', (calls) => this.rejectCalls(s, calls));
      s.ev.on('group-participants.update', ({ id }) => groups.invalidate(id));
      s.ev.on('groups.update', (updates) => updates.forEach((u) => u.id && groups.invalidate(u.id)));
      s.ev.on('connection.update', (u) => {
        if (u.qr) listener({ type: 'qr', qr: u.qr });
        if (u.connection === 'open' && s.user) listener({ type: 'open', identity: identityOf(s.user) });
        // Baileys holds received events in a buffer (already acknowledged to WhatsApp)
        // while the offline queue arrives and, on a companion whose first history sync
        // was never processed, for up to 20 s more; its end() destroys that buffer.
        // Release them at once, and before every close (SPEC §5: nothing acked is lost).
        if (u.receivedPendingNotifications) {
          releaseHeldEvents(s, log, 'offline queue delivered');
          afterInbound(() => {
            order.marker();
            order.settle();
          });
        }
        if (u.connection === 'close') {
          socketEnded();
          releaseHeldEvents(s, log, 'connection closing');
          forgetter.stop();
          afterInbound(() => {
            stanzas.releaseAll();
            order.releaseAll();
          });
          const err = u.lastDisconnect?.error as { output?: { statusCode?: number }; message?: string } | undefined;
          const code = closedByUs ? CLOSED_BY_US : (err?.output?.statusCode ?? DisconnectReason.connectionClosed);
          let reason = closedByUs ? 'closed by us' : (err?.message ?? 'connection closed');
          if (code === CLIENT_OUTDATED && version) reason += ` (WhatsApp Web version ${version.version}, ${version.source})`;
          // Work in flight may still commit key writes (Baileys' own-LID work after a
          // login first; inbound batches wait for LID look-ups); let them land before
          // reporting the close: whoever closes the store next can do so safely.
          const keysLanded = ownLid.settled(OWN_LID_SETTLE_MS).then(() => store.flushQuietly(CLOSE_QUIET_MS));
          void Promise.all([keysLanded, this.inbound]).finally(() => finish({ type: 'close', code, reason }));
        }
      });
    })();
    ready.catch((err: unknown) => {
      // A local failure (unreadable creds, an auth dir we cannot write…), not WhatsApp's
      // verdict: report it as what it is, with our error, its fix and its cause.
      const e = err instanceof WagateError ? err : new WagateError('WAGATE_ERR_CREDS', (err as Error).message, { cause: err });
      const error = e.toInfo();
      log.error({ code: error.code, cause: error.cause, err: error.message }, 'could not open the connection');
      finish({ type: 'close', code: null, reason: error.message, error });
    });

    const live = () => {
      if (!sock) throw new WagateError('WAGATE_ERR_NO_LISTENER', `No active WhatsApp listener for account ${this.accountId}.`);
      return sock;
    };
    const connection: Connection = {
      close: async () => {
        closedByUs = true;
        await ready.catch(() => undefined);
        if (sock) {
          // Baileys sends a message's delivery receipt, then upserts it through its event
          // buffer (flushed up to 100 ms later); end() destroys that buffer. A message
          // acknowledged just before our close would be lost (chaos seed 201: SIGTERM
          // 50 ms after a login, an offline message's receipt out, its upsert never
          // emitted). Let the messages in flight come out first, bounded.
          await inflight.settled(CLOSE_SETTLE_MS);
          releaseHeldEvents(sock, log, 'closing');
          sock.end(undefined);
          // Closed once the key writes in flight landed (Baileys' own-LID work after a
          // login among them): the caller may close the store next. Bounded.
          await settledWithin(closeReported, OWN_LID_SETTLE_MS + CLOSE_SETTLE_MS);
        } else finish({ type: 'close', code: CLOSED_BY_US, reason: 'closed by us' });
      },
      sendText: (to, text, opts) => this.send(live(), requireJid(to), { text }, opts?.messageId),
      sendMedia: (to, item, opts) => this.send(live(), requireJid(to), mediaContent(item), opts?.messageId),
      react: async (ref, emoji) => {
        const key = { remoteJid: ref.chatJid, id: ref.id, fromMe: ref.fromMe ?? false, participant: ref.participant };
        await untilEnded(live().sendMessage(ref.chatJid, { react: { text: emoji, key } }));
      },
      markRead: async (refs) => {
        await untilEnded(live().readMessages(refs.map((r) => ({ remoteJid: r.chatJid, id: r.id, participant: r.participant, fromMe: r.fromMe ?? false }))));
      },
      sendPresence: async (chatJid, state) => {
        await untilEnded(live().sendPresenceUpdate(state, chatJid));
      },
      downloadMedia: async (ref) => {
        const s = live();
        const raw = this.received.get(ref.id);
        if (!raw) {
          throw new WagateError('WAGATE_ERR_BAD_REQUEST', `No received media message ${ref.id} in ${ref.chatJid}.`);
        }
        const ctx = { logger: baileysLogger(log) as never, reuploadRequest: s.updateMediaMessage };
        const dispatcher = this.proxy()?.dispatcher;
        return (await downloadMediaMessage(raw, 'stream', dispatcher ? { options: { dispatcher } as unknown as RequestInit } : {}, ctx)) as Readable;
      },
      requestPairingCode: (phoneDigits) => live().requestPairingCode(phoneDigits),
      unlink: async () => {
        const s = live();
        closedByUs = true; // the close that follows is ours, not WhatsApp logging us out
        await s.logout();
      },
      probe: async () => {
        const started = Date.now();
        await untilEnded(live().query({ tag: 'iq', attrs: { to: 's.whatsapp.net', type: 'get', xmlns: 'w:p' }, content: [{ tag: 'ping', attrs: {} }] }, 10_000));
        return Date.now() - started;
      },
      groupMetadata: async (groupJid) => {
        const md = await untilEnded(groupMetadata(groupJid));
        return { jid: md.id, subject: md.subject, participants: md.participants.map((p) => ({ jid: p.id, admin: Boolean(p.admin) })) };
      },
    };
    return connection;
  }

  /**
   * The messages whose kept plaintexts show they were decrypted (and acknowledged to
   * WhatsApp) but never reached the inbound ledger: rebuilt, to be upserted before
   * anything of the new connection (decrypt-recovery.ts). Kept plaintexts of messages
   * the ledger has are forgotten; so are unusable ones older than a day.
   */
  private async recoverKept(me: { id: string; lid?: string }, keys: SignalKeyStore, replay: DecryptReplay): Promise<WAMessage[]> {
    const log = this.opts.logger;
    try {
      const scan = await readKeptDecryptions(this.opts.store, this.accountId, me);
      const drop: string[] = [];
      const out: WAMessage[] = [];
      const self = { jid: me.id, e164: jidToE164(me.id), lid: me.lid ?? null };
      for (const k of scan.messages) {
        const res = normalizeMessage(k.message, { accountId: this.accountId, self, upsertType: 'append', lidToE164: () => null });
        // Nothing to record (or not yet whole): kept for a decrypt replay, dropped once old.
        if (!res.ok) {
          if (Date.now() - k.at > UNUSABLE_KEPT_MS) drop.push(...k.keys);
          continue;
        }
        if (await this.opts.store.ledger.get({ accountId: this.accountId, chatJid: res.message.chatJid, messageId: res.message.id })) {
          drop.push(...k.keys);
          continue;
        }
        replay.adopt(res.message.id, k.keys);
        out.push(k.message);
      }
      for (const u of scan.unusable) if (u.at !== null && Date.now() - u.at > UNUSABLE_KEPT_MS) drop.push(...u.keys);
      if (drop.length > 0) await keys.set({ [DECRYPTED_CATEGORY]: Object.fromEntries(drop.map((k) => [k, null])) } as unknown as SignalDataSet);
      if (out.length > 0) {
        log.warn({ ids: out.map((m) => m.key.id) }, 'recovered messages acknowledged to WhatsApp before a stop or crash and never handled: handing them over now');
      }
      return out;
    } catch (err) {
      log.error({ err }, 'could not read the kept plaintexts of messages cut off by a crash; starting without them');
      return [];
    }
  }

  private proxy(): ProxyAgents | undefined {
    if (!this.opts.proxy) return undefined;
    if (!this.proxyAgentsMade) {
      try {
        this.proxyAgentsMade = proxyAgents(this.opts.proxy, { insecureTls: isLoopbackUrl(this.opts.url) });
      } catch (err) {
        const msg = `channels.whatsapp proxy ${redactProxyUrl(this.opts.proxy)} of account ${this.accountId} cannot be used: ${(err as Error).message}.`;
        throw new WagateError('WAGATE_ERR_CONFIG', msg);
      }
      this.opts.logger.info({ proxy: this.proxyAgentsMade.shown }, 'WhatsApp traffic goes through a proxy');
    }
    return this.proxyAgentsMade;
  }

  private keepMedia(id: string, msg: WAMessage): void {
    this.received.set(id, msg);
    if (this.received.size > MEDIA_CACHE) this.received.delete(this.received.keys().next().value!);
  }

  /**
   * One message out, under `messageId` when given (else Baileys picks one), done once
   * WhatsApp acknowledged it (send-ack.ts): a socket that ends first fails the send, and
   * the caller may send it again under the same id.
   */
  private async send(s: ReturnType<typeof makeWASocket>, jid: string, content: AnyMessageContent, messageId?: string): Promise<SendResult> {
    const id = messageId ?? generateMessageIDV2(s.user?.id);
    const ack = waitForAck(s.ws as unknown as EventEmitter, s.ev as unknown as ConnectionUpdates, id);
    let msg: WAMessage | undefined;
    const sending = s.sendMessage(jid, content, { messageId: id });
    sending.catch(() => undefined); // once abandoned below, its failure is nobody's
    // A socket that ends while Baileys still prepares the send fails it now (transient:
    // the caller waits for the next connection and sends again under the same id).
    // Baileys' own queries of the send (devices, prekeys) would wait up to 60 s: when
    // Baileys ends a socket itself (a stream error) it removes their close listeners
    // first, so they hear of the end only at their timeout (chaos seed 7304: three 500
    // drops, every chat's replies held for a minute).
    const ended = ack.acked.then(
      () => new Promise<never>(() => undefined),
      (err: unknown) => Promise.reject(err),
    );
    ended.catch(() => undefined);
    try {
      msg = await Promise.race([sending, ended]);
    } catch (err) {
      ack.cancel();
      throw sendFailure(err);
    }
    ack.sent();
    const sentId = await this.remember(msg);
    if (sentId !== id) {
      ack.cancel();
      throw new WagateError('WAGATE_ERR_INTERNAL', `WhatsApp sent message ${sentId} instead of the requested id ${id}.`);
    }
    await ack.acked;
    return { id };
  }

  /**
   * Keep a sent message in the store (protobuf, base64) so a retry receipt is answered
   * after a restart too. The message is sent whatever happens here: a failure to keep
   * it is logged, never reported as a failed send (the caller would send it again).
   */
  private async remember(msg: WAMessage | undefined): Promise<string> {
    const id = msg?.key.id;
    if (!id) throw new WagateError('WAGATE_ERR_INTERNAL', 'WhatsApp did not return a message id.');
    if (msg.message) {
      const message = Buffer.from(proto.Message.encode(msg.message).finish()).toString('base64');
      const chatJid = msg.key.remoteJid ?? '';
      await this.opts.store.sent
        .put(this.accountId, { id, chatJid, message, at: Date.now() }, SENT_KEEP)
        .catch((err: unknown) => this.opts.logger.error({ err, id }, 'keeping a sent message for retries failed'));
    }
    return id;
  }

  /** A sent message for Baileys' `getMessage` (a retry receipt), from the store. */
  /** `rejectCalls`: each new call offer is rejected and its caller gets `rejectCallMessage` once. */
  private rejectCalls(s: ReturnType<typeof makeWASocket>, calls: WACallEvent[]): void {
    const opt = this.opts.rejectCalls;
    if (!opt) return;
    for (const call of calls) {
      if (call.status !== 'offer' || this.rejected.has(call.id)) continue;
      this.rejected.add(call.id);
      if (this.rejected.size > MEDIA_CACHE) this.rejected.delete(this.rejected.values().next().value!);
      void (async () => {
        await s.rejectCall(call.id, call.from);
        this.opts.logger.info({ callId: call.id, from: call.from }, 'incoming call rejected');
        if (opt.message) await this.remember(await s.sendMessage(call.from, { text: opt.message }));
      })().catch((err: unknown) => this.opts.logger.warn({ err, callId: call.id }, 'rejecting a call failed'));
    }
  }

  private async sentMessage(id: string): Promise<proto.IMessage | undefined> {
    const kept = await this.opts.store.sent.get(this.accountId, id);
    this.opts.logger.debug({ id, found: kept !== undefined }, 'a retry receipt asks for a sent message');
    return kept ? proto.Message.decode(Buffer.from(kept.message, 'base64')) : undefined;
  }

  private learnLid(lidJid: string, e164: string): void {
    this.lidToE164.set(lidJid, e164);
    const lid = lidJid.split('@')[0]!;
    void this.opts.store.lids
      .put(this.accountId, lid, e164.replace(/^\+/, ''), Date.now())
      .catch((err: unknown) => this.opts.logger.warn({ err }, 'keeping a LID mapping failed'));
  }

  /** LID JIDs of this batch's senders without a phone number not resolved yet (looked up again each time: Baileys may have learned them since). */
  private unknownLids(messages: WAMessage[], self: { id: string; lid?: string }, type: string): string[] {
    const lids = new Set<string>();
    for (const m of messages) {
      normalizeMessage(m, {
        accountId: this.accountId,
        self: { jid: self.id, e164: jidToE164(self.id), lid: self.lid ?? null },
        upsertType: type === 'notify' ? 'notify' : 'append',
        lidToE164: (lid) => {
          const found = this.lidToE164.get(lid);
          if (!found) lids.add(bareJid(lid));
          return found ?? null;
        },
      });
    }
    return [...lids];
  }

  /** Resolves LIDs through Baileys' mapping, else the store's LID map; Baileys' answers are mirrored into the store. */
  private async lookUpLids(lidJids: string[], baileys: (lidJid: string) => Promise<string | null>): Promise<void> {
    const warn = (what: string) => (err: unknown) => {
      this.opts.logger.warn({ err }, `reading a LID mapping ${what} failed`);
      return null;
    };
    for (const lidJid of lidJids) {
      if (this.lidToE164.has(lidJid)) continue;
      const fromBaileys = jidToE164(await baileys(lidJid).catch(warn('from the auth state')));
      if (fromBaileys) {
        this.learnLid(lidJid, fromBaileys);
        continue;
      }
      const pn = await this.opts.store.lids.pnForLid(this.accountId, lidJid.split('@')[0]!).catch(warn('from the store'));
      if (pn) this.lidToE164.set(lidJid, `+${pn}`);
    }
  }
}

function requireJid(to: string): string {
  const jid = toChatJid(to);
  if (!jid) throw new WagateError('WAGATE_ERR_BAD_REQUEST', badChatMessage(to));
  return jid;
}

/** Our media item → Baileys' message content (caption only where WhatsApp shows one). */
function mediaContent(item: OutboundMedia): AnyMessageContent {
  const { data, mimetype, caption } = item;
  switch (item.kind) {
    case 'image':
      return { image: data, mimetype, caption };
    case 'video':
      return { video: data, mimetype, caption, gifPlayback: item.gifPlayback ?? false };
    case 'audio':
      return { audio: data, mimetype, ptt: item.ptt ?? false };
    case 'document':
      return { document: data, mimetype, fileName: item.fileName ?? 'file', caption };
  }
}

/** Emit whatever Baileys' event buffer holds, now (synchronous; see its event-buffer.js). */
/**
 * Message stanzas Baileys has received and not upserted yet (decrypting, sending the
 * receipt, or in its event buffer). One that never becomes an upsert (a decryption
 * Baileys gave up on, a stanza it only acknowledges) is not waited for once it is
 * older than `staleMs`: a message in flight comes out within milliseconds.
 */
export class InflightMessages {
  private readonly ids = new Map<string, number>();
  private waiters: (() => void)[] = [];

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly staleMs = 2_000,
  ) {}

  get size(): number {
    return this.ids.size;
  }

  seen(id: string): void {
    this.ids.set(id, this.now());
  }

  done(ids: Iterable<string>): void {
    for (const id of ids) this.ids.delete(id);
    if (this.ids.size === 0) for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when nothing recent is in flight, or after `maxMs` (what is left is forgotten). */
  settled(maxMs: number): Promise<void> {
    const old = this.now() - this.staleMs;
    for (const [id, at] of this.ids) if (at < old) this.ids.delete(id);
    if (this.ids.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.ids.clear();
        this.done([]);
      }, maxMs);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

/** `p`, or nothing after `ms`. */
function settledWithin(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((r) => (timer = setTimeout(r, ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Every frame this socket writes first asks `mayWrite` (ConnectOptions): once it says
 * no, the frame is dropped (its callback hears an error) and the socket is closed, so
 * Baileys' own writes — a keep-alive ping fired by a timer the moment a paused process
 * wakes, before it has read that WhatsApp closed the socket — never leave either.
 */
function fenceWrites(sock: ReturnType<typeof makeWASocket>, mayWrite: () => boolean, log: Logger): void {
  // Baileys captured its client's `send` at creation (promisified), so the fence goes one
  // level down: on the `ws` WebSocket the client writes to (`client.socket`).
  type Raw = { send(data: unknown, cb?: (err?: Error) => void): void; close(): void };
  const client = sock.ws as unknown as { socket: Raw | null };
  let refused = false;
  const fence = (raw: Raw | null): Raw | null => {
    if (!raw) return raw;
    const send = raw.send.bind(raw);
    raw.send = (data, cb) => {
      if (mayWrite()) return send(data, cb);
      if (!refused) {
        refused = true;
        log.warn('a frame for WhatsApp was dropped and the socket closed: this node no longer holds the account (its lease ran out by its own clock)');
        raw.close();
      }
      cb?.(new Error('not written: this node no longer holds the account'));
    };
    return raw;
  };
  let current = fence(client.socket);
  Object.defineProperty(client, 'socket', {
    configurable: true,
    enumerable: true,
    get: () => current,
    set: (raw: Raw | null) => void (current = fence(raw)),
  });
}

function releaseHeldEvents(sock: ReturnType<typeof makeWASocket>, log: Logger, why: string): void {
  if (sock.ev.isBuffering() && sock.ev.flush()) log.debug({ why }, 'released events Baileys was holding');
}

function identityOf(user: { id: string; lid?: string; name?: string }): LinkedIdentity {
  return { jid: user.id, e164: jidToE164(user.id), lid: user.lid ?? null, name: user.name ?? null };
}

function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
  } catch {
    return false;
  }
}

/**
 * Baileys rc14 issues our privacy token (`iq xmlns=privacy` `<tokens>`) after a 1:1
 * send and then records that it did, so the next send to the contact does not issue
 * it again for days. But it does so from a fire-and-forget continuation of the
 * send's key transaction: AsyncLocalStorage carries the finished transaction's
 * context into it, the write lands in that transaction's cache and is never
 * committed, and every later message to the contact issues the token again — one
 * extra iq to WhatsApp per message sent. Writes of `tctoken` made inside a
 * transaction are therefore also written straight to the key store.
 */
function persistPrivacyTokens(sock: ReturnType<typeof makeWASocket>, store: SignalKeyStore): void {
  const txKeys = sock.authState.keys as SignalKeyStoreWithTransaction;
  if (typeof txKeys.isInTransaction !== 'function') return;
  const set = txKeys.set.bind(txKeys);
  txKeys.set = async (data) => {
    await set(data);
    if (data.tctoken && txKeys.isInTransaction()) await store.set({ tctoken: data.tctoken });
  };
}

/** Baileys' own logging, bridged into ours at warn (or quieter, when ours is quieter). */
function baileysLogger(log: Logger): Logger {
  const level = log.levelVal > log.levels.values.warn! ? log.level : 'warn';
  return log.child({ subsystem: 'whatsapp/baileys' }, { level });
}
