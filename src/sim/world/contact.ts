/**
 * A simulated contact: its own Signal identity (device 0), what it sends to a
 * linked account, and what it received from it, decrypted.
 */
import type { MediaType, proto } from '@whiskeysockets/baileys';
import type { SimCompanion, SimHub, UploadedKeys } from '../hub.js';
import { decryptMedia, type MediaHost } from './media-host.js';
import { directStanza, pnJid, ShownIds, type Party, type ReceivedMessage } from './messages.js';
import * as out from './outgoing.js';
import { SignalParty } from './signal.js';
import { retryReceipt } from './usync.js';

/** How often a phone sends one message again after retry receipts (WhatsApp gives up after a few). */
export const MAX_RESENDS = 3;

export interface ContactDeps {
  hub: SimHub;
  media: MediaHost;
  now: () => number;
  /** The companion of `to` (a phone number), or the only/first linked one. */
  target(to?: string): SimCompanion;
}

export interface Receipt {
  /** Message ids the receipt covers. */
  ids: string[];
  type: 'delivery' | 'read' | 'played' | string;
  at: number;
}

export interface Reaction {
  /** Id of the message reacted to. */
  id: string;
  /** The emoji; empty string removes a reaction. */
  emoji: string;
  from: string;
  at: number;
}

export interface Presence {
  state: 'composing' | 'paused' | 'recording' | string;
  at: number;
}

/** A list that can be awaited for its next entry. */
export class Inbox<T> {
  readonly items: T[] = [];
  private read = 0;
  private waiters: ((v: T) => void)[] = [];

  push(item: T): void {
    this.items.push(item);
    const w = this.waiters.shift();
    if (w) {
      this.read++;
      w(item);
    }
  }

  /** The next entry not yet returned by `next()` (waits up to `timeoutMs`). */
  next(timeoutMs: number, what: string): Promise<T> {
    if (this.read < this.items.length) return Promise.resolve(this.items[this.read++]!);
    return new Promise((resolve, reject) => {
      const waiter = (v: T) => {
        clearTimeout(timer);
        resolve(v);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`sim: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}

export class SimContact implements Party {
  readonly kind = 'contact' as const;
  readonly signal = new SignalParty();
  readonly jid: string;
  private readonly inboxFeed = new Inbox<ReceivedMessage>();
  readonly inbox = this.inboxFeed.items;
  readonly receipts: Receipt[] = [];
  readonly reactions: Reaction[] = [];
  readonly presence: Presence[] = [];
  /** Ids of the calls this contact placed that the account rejected (`<call><reject call-id>`). */
  readonly rejectedCalls: string[] = [];
  /** Messages this contact sent, by id (for quoting and resending). */
  private readonly sent = new Map<string, proto.IMessage>();
  /** Resends per message id after retry receipts. */
  private readonly resends = new Map<string, number>();
  /** Ids of the retry receipts this contact sent that the account acknowledged (it handled them). */
  readonly retryAcks: string[] = [];

  constructor(
    readonly pnUser: string,
    readonly lidUser: string,
    readonly name: string | undefined,
    private readonly deps: ContactDeps,
    private readonly defaultTo?: string,
  ) {
    this.jid = pnJid(pnUser);
  }

  /** Message ids already shown (a phone de-duplicates by sender and id). */
  private readonly shown = new ShownIds();
  /** Copies received again under an id already shown: decrypted, but not shown again. */
  readonly duplicates: ReceivedMessage[] = [];

  receive(msg: ReceivedMessage): void {
    if (!this.shown.first(msg)) {
      this.duplicates.push(msg);
      return;
    }
    const r = msg.message.reactionMessage;
    if (r?.key?.id) this.reactions.push({ id: r.key.id, emoji: r.text ?? '', from: msg.from, at: msg.at });
    this.inboxFeed.push(msg);
  }

  /** The next message received from a linked account (in order). */
  nextMessage(timeoutMs = 5000): Promise<ReceivedMessage> {
    return this.inboxFeed.next(timeoutMs, `message for ${this.pnUser}`);
  }

  /**
   * The companion could not decrypt message `id` (its Signal state was lost, e.g. a
   * process killed mid-write) and sent a retry receipt with a fresh key bundle: build a
   * new session from that bundle and send the message again, as a phone does — at most
   * `MAX_RESENDS` times per message. Returns whether it was sent again.
   */
  async resendAfterRetry(id: string, companion: SimCompanion, keys: UploadedKeys): Promise<boolean> {
    const message = this.sent.get(id);
    const count = (this.resends.get(id) ?? 0) + 1;
    if (!message || count > MAX_RESENDS) return false;
    this.resends.set(id, count);
    this.signal.forgetSession(companion.jid);
    const stanza = await directStanza(this, { ...companion, keys }, message, { id, t: Math.floor(this.deps.now() / 1000) });
    this.deps.hub.deliver(companion.user, stanza);
    return true;
  }

  /**
   * As a phone that could not decrypt message `id` from the account: forget the
   * session with the account's device and send a retry receipt (count `count`, with
   * a fresh key bundle). The account should send the message again on a new session;
   * it lands in the inbox once more. Its ack lands in `retryAcks`.
   */
  requestRetry(id: string, opts: { to?: string; count?: number } = {}): void {
    const companion = this.deps.target(opts.to ?? this.defaultTo);
    this.signal.forgetSession(companion.jid);
    this.deps.hub.deliver(companion.user, retryReceipt(this, this.jid, id, opts.count ?? 1, Math.floor(this.deps.now() / 1000)));
  }

  /**
   * Sends any message; returns its stanza id. Queued while the account is offline.
   * `as: 'lid'` addresses it from the contact's LID only (no phone number in the stanza).
   */
  async sendMessage(message: proto.IMessage, opts: { to?: string; id?: string; as?: 'pn' | 'lid' } = {}): Promise<string> {
    const companion = this.deps.target(opts.to ?? this.defaultTo);
    const id = opts.id ?? this.deps.hub.nextId();
    const stanza = await directStanza(this, companion, message, { id, t: Math.floor(this.deps.now() / 1000), as: opts.as });
    this.sent.set(id, message);
    this.deps.hub.deliver(companion.user, stanza);
    return id;
  }

  /**
   * Places a voice call to the account (the `<call><offer>` stanza a phone's call sends);
   * returns the call id (`callId` offers the same call again). A reject the account sends back lands in `rejectedCalls`.
   */
  call(opts: { to?: string; video?: boolean; callId?: string } = {}): string {
    const companion = this.deps.target(opts.to ?? this.defaultTo);
    const callId = opts.callId ?? this.deps.hub.nextId().replace(/[^0-9A-Z]/gi, '').toUpperCase().padEnd(32, '0').slice(0, 32);
    const t = String(Math.floor(this.deps.now() / 1000));
    this.deps.hub.deliver(companion.user, {
      tag: 'call',
      attrs: { from: this.jid, id: this.deps.hub.nextId(), t },
      content: [
        {
          tag: 'offer',
          attrs: { 'call-id': callId, 'call-creator': this.jid },
          content: [
            { tag: 'audio', attrs: { enc: 'opus', rate: '16000' } },
            ...(opts.video ? [{ tag: 'video', attrs: { enc: 'vp8' } }] : []),
          ],
        },
      ],
    });
    return callId;
  }

  send(text: string, opts?: { to?: string; as?: 'pn' | 'lid' }): Promise<string> {
    return this.sendMessage(out.text(text), opts);
  }

  /** A quoted reply to `messageId` (one this contact received or sent). */
  reply(messageId: string, text: string, opts?: { to?: string }): Promise<string> {
    return this.sendMessage(out.quotedText(text, this.quote(messageId, opts?.to)), opts);
  }

  react(messageId: string, emoji: string, opts?: { to?: string }): Promise<string> {
    const companion = this.deps.target(opts?.to ?? this.defaultTo);
    const key = { remoteJid: pnJid(companion.user), fromMe: this.sent.has(messageId), id: messageId };
    return this.sendMessage(out.reaction(key, emoji, this.deps.now()), opts);
  }

  sendImage(bytes: Uint8Array, opts: out.MediaOptions = {}): Promise<string> {
    return this.sendMedia('image', bytes, opts);
  }
  sendVideo(bytes: Uint8Array, opts: out.MediaOptions = {}): Promise<string> {
    return this.sendMedia('video', bytes, opts);
  }
  sendAudio(bytes: Uint8Array, opts: out.MediaOptions = {}): Promise<string> {
    return this.sendMedia('audio', bytes, opts);
  }
  sendDocument(bytes: Uint8Array, opts: out.MediaOptions = {}): Promise<string> {
    return this.sendMedia('document', bytes, opts);
  }
  sendSticker(bytes: Uint8Array, opts: out.MediaOptions = {}): Promise<string> {
    return this.sendMedia('sticker', bytes, opts);
  }

  sendContact(displayName: string, phoneE164: string): Promise<string> {
    return this.sendMessage(out.contactCard(displayName, phoneE164));
  }

  sendLocation(loc: out.LocationOptions): Promise<string> {
    return this.sendMessage(out.location(loc));
  }

  /** Downloads and decrypts the media of a message this contact received. */
  async download(message: proto.IMessage): Promise<Buffer> {
    return downloadMedia(this.deps.media, message);
  }

  private async sendMedia(kind: out.MediaKind, bytes: Uint8Array, opts: out.MediaOptions): Promise<string> {
    const msg = await out.mediaMessage(this.deps.media, kind, bytes, opts, Math.floor(this.deps.now() / 1000));
    return this.sendMessage(msg);
  }

  private quote(messageId: string, to?: string): out.QuoteTarget {
    const own = this.sent.get(messageId);
    if (own) return { id: messageId, participant: this.jid, message: own };
    const got = this.inbox.find((m) => m.id === messageId);
    const account = pnJid(this.deps.target(to ?? this.defaultTo).user);
    return { id: messageId, participant: account, message: got?.message };
  }
}

const MEDIA_FIELDS = ['imageMessage', 'videoMessage', 'audioMessage', 'documentMessage', 'stickerMessage'] as const;

/** Fetches a media message's blob from the simulator's media host and decrypts it. */
export async function downloadMedia(host: MediaHost, message: proto.IMessage): Promise<Buffer> {
  for (const field of MEDIA_FIELDS) {
    const m = message[field];
    if (!m) continue;
    const blob = host.get(m.directPath ?? m.url ?? '');
    if (!blob || !m.mediaKey) throw new Error(`sim: media of ${field} is not on the simulator's media host`);
    return decryptMedia(blob, field.replace('Message', '') as MediaType, m.mediaKey);
  }
  throw new Error('sim: not a media message');
}
