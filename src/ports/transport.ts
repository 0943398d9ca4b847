/**
 * The WhatsApp transport port. The gateway never imports Baileys; it talks to a
 * Transport. Three lifetimes, kept apart (as in mautrix-whatsapp):
 *
 *   TransportFactory  — process-wide (one per gateway), makes one AccountTransport per account
 *   AccountTransport  — one per account for the gateway's lifetime (creds, logout)
 *   Connection        — one per connection attempt; emits events until exactly one `close`
 *
 * Implementations: `src/whatsapp/` (Baileys) and `test/helpers/fake-transport.ts`.
 */

import type { Store } from '../store/port.js';
import type { Readable } from 'node:stream';
import type { ConnectionClose, ConnectionMode, LinkedIdentity } from '../../machines/index.js';
import type { InboundMessage } from './inbound.js';

export type { ConnectionMode, LinkedIdentity } from '../../machines/index.js';

/**
 * Events one Connection reports, in order. `close` is always the last one: with
 * WhatsApp's status code, or (`code: null`, `error`) a local failure — the connection
 * could not be opened (unreadable creds…) — with our error and its fix.
 */
export type ConnectionEvent =
  | { type: 'qr'; qr: string }
  | { type: 'open'; identity: LinkedIdentity }
  | ({ type: 'close' } & Exclude<ConnectionClose, { stalled: true }>)
  /** Any frame arrived from the server (feeds the watchdog). */
  | { type: 'activity'; at: number }
  /** Chat messages arrived, already normalized (live `notify` or catch-up `append`). */
  | { type: 'messages'; messages: InboundMessage[] }
  /**
   * Live messages the transport holds back, to hand them over in order after the
   * connection's offline backlog (src/whatsapp/inbound-order.ts). WhatsApp already has
   * their delivery receipt: record them now (a kill during the hold must not lose
   * them); the same messages come again, to be handled, in a later `messages` event.
   */
  | { type: 'held'; messages: InboundMessage[] };

export type ConnectionListener = (event: ConnectionEvent) => void;

export interface SendResult {
  /** WhatsApp message id of what was sent (equal to `SendOptions.messageId` when one was given). */
  id: string;
}

/** How one message is sent. */
export interface SendOptions {
  /**
   * The WhatsApp message id to send it under (Baileys-shaped: `3EB0` + upper-case hex).
   * Sending the same id twice is harmless: phones show a message id once
   * (reply-delivery's `replyMessageId` makes a reply's ids deterministic).
   */
  messageId?: string;
}

export interface MessageRef {
  chatJid: string;
  id: string;
  /** Group: the author of the message. */
  participant?: string;
  fromMe?: boolean;
}

/** One media message, ready to send (bytes already loaded and optimised, src/media/). */
export interface OutboundMedia {
  kind: 'image' | 'video' | 'audio' | 'document';
  data: Buffer;
  /** e.g. `image/jpeg`, `audio/ogg; codecs=opus`. */
  mimetype: string;
  /** Documents: the name the contact sees. */
  fileName?: string;
  /** Only the first item of a reply carries one (SPEC §7); audio has none. */
  caption?: string;
  /** Audio: send as a voice note. */
  ptt?: boolean;
  /** Video: WhatsApp loops it like a GIF. */
  gifPlayback?: boolean;
}

export interface GroupInfo {
  jid: string;
  subject: string;
  participants: { jid: string; admin: boolean }[];
}

export interface Connection {
  /** Orderly close; a `close` event with code 0 ("closed by us") follows. */
  close(reason?: string): Promise<void>;
  /**
   * `to`: E.164 or JID. Resolves once WhatsApp acknowledged the message; rejects (a
   * transient error) when the connection ends before that.
   */
  sendText(to: string, text: string, opts?: SendOptions): Promise<SendResult>;
  /** `to`: E.164 or JID. One media message (SPEC §7); acknowledged like `sendText`. */
  sendMedia(to: string, item: OutboundMedia, opts?: SendOptions): Promise<SendResult>;
  /** React to a message; emoji '' removes our reaction. */
  react(ref: MessageRef, emoji: string): Promise<void>;
  /** Blue ticks for these messages. */
  markRead(refs: MessageRef[]): Promise<void>;
  /** Typing indicator in a chat. */
  sendPresence(chatJid: string, state: 'composing' | 'paused'): Promise<void>;
  groupMetadata(groupJid: string): Promise<GroupInfo>;
  /** Ask WhatsApp something small (a ping) and resolve with the round trip in ms. */
  probe(): Promise<number>;
  /** Ask WhatsApp to remove this linked device (the phone's list drops it), then close. */
  unlink(): Promise<void>;
  /**
   * While linking, after the first `qr` event: ask WhatsApp for the 8-character
   * pairing code the phone with this number (digits, no `+`) enters instead of scanning.
   */
  requestPairingCode(phoneDigits: string): Promise<string>;
  /**
   * The decrypted media of a message received on this connection, as a stream
   * (the caller bounds it; src/media/inbound.ts). Rejects when the message is
   * unknown or has no media. Optional: fakes may not download.
   */
  downloadMedia?(ref: MessageRef): Promise<Readable>;
}

/** Where the WhatsApp Web version of a connection came from (src/whatsapp/web-version.ts). */
export type WebVersionSource = 'config' | 'fetched' | 'cache' | 'bundled';

/** The WhatsApp Web version a connection announces, and where it came from. */
export interface WebVersionInUse {
  /** e.g. `2.3000.1027934701`. */
  version: string;
  source: WebVersionSource;
  /** `fetched` and `cache`: when it was fetched from WhatsApp Web. */
  fetchedAt?: number;
}

/** How a connection attempt is opened (all optional). */
export interface ConnectOptions {
  /**
   * Asked before every frame the connection writes to WhatsApp, its own (keep-alive
   * pings, receipts Baileys sends by itself) included. Once it answers false the frame
   * is dropped and the socket closed: a cluster node whose lease ran out (by its own
   * clock, e.g. after a SIGSTOP) writes nothing more on a socket WhatsApp may already
   * have given to another node, even before it has read that socket's close.
   */
  mayWrite?: () => boolean;
}

export interface AccountTransport {
  readonly accountId: string;
  /** True when saved creds exist (a read error throws; it is never "no creds"). */
  hasCreds(): Promise<boolean>;
  /** Who the saved creds are linked as, read without connecting; null when not linked. */
  savedIdentity(): Promise<LinkedIdentity | null>;
  /** Start one connection attempt; events go to `listener`. */
  connect(mode: ConnectionMode, listener: ConnectionListener, opts?: ConnectOptions): Connection;
  /** Delete this account's auth state; returns what was removed, one line each (empty when nothing). */
  logout(): Promise<string[]>;
  /** The WhatsApp Web version the latest connection announced; null before the first. Optional: fakes may not say. */
  webVersion?(): WebVersionInUse | null;
}

/** What the process gives every account transport. */
export interface TransportDeps {
  /** The process's store (one per process; the gateway or the CLI command opened it). */
  store: Store;
}

export interface TransportFactory {
  create(accountId: string, deps: TransportDeps): AccountTransport;
}

/** Close code used when we closed the connection ourselves. */
export const CLOSED_BY_US = 0;
