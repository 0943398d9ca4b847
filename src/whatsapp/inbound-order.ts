/**
 * In order per chat when WhatsApp's offline backlog and live messages interleave.
 *
 * After a login WhatsApp delivers what it queued for the device (stanzas marked
 * `offline="1"`, upserted by Baileys as `append`) and then the `<ib><offline/>`
 * marker; live messages (`notify`) may arrive meanwhile. Baileys rc14 handles the
 * offline stanzas in a queue of their own (Utils/offline-node-processor.js, which
 * yields to the event loop every 10 nodes) and live ones at once, so a contact's
 * live 40th message can be upserted before the 30th–35th that were still queued —
 * and answered first. Decrypting out of order is harmless (Signal keeps the skipped
 * message keys of a chain); answering out of order is not.
 *
 * One `InboundOrder` per connection sits between the upserts and the gateway:
 * - while the backlog is not done, live messages are held (decrypted, acknowledged
 *   — nothing is lost: a close releases them first) and offline ones go out at once;
 * - the backlog is done when the marker has arrived and every offline message
 *   stanza seen on the socket has been upserted; then everything held goes out,
 *   in WhatsApp timestamp order, and later messages pass straight through;
 * - a held message waits at most `holdMaxMs` (an offline stanza Baileys never
 *   upserts — one it could not decrypt, one it ignores — must not hold the chat).
 *
 * Pure: no Baileys; the transport feeds it stanza ids, upserts and the marker.
 */
import type { InboundMessage } from '../ports/inbound.js';

export interface InboundOrderOptions {
  /** Where messages go, in the order the gateway must handle them. */
  deliver(messages: InboundMessage[]): void;
  /** The longest a live message is held waiting for the backlog. */
  holdMaxMs: number;
  /** Timers (tests inject their own). */
  setTimer?: (fn: () => void, ms: number) => { clear(): void };
  /**
   * Told of live messages as they are held (already acknowledged to WhatsApp): the
   * gateway records them at once, so a kill during the hold does not lose them.
   */
  onHold?(messages: InboundMessage[]): void;
  /** Told when a hold ended by its time limit, not by the backlog being done. */
  onHoldExpired?: (info: { held: number; pendingOffline: number; markerSeen: boolean }) => void;
}

interface Held {
  message: InboundMessage;
  seq: number;
}

const defaultTimer = (fn: () => void, ms: number) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return { clear: () => clearTimeout(t) };
};

export class InboundOrder {
  private held: Held[] = [];
  private seq = 0;
  /** Offline message stanzas seen on the socket and not upserted yet. */
  private readonly pendingOffline = new Set<string>();
  private markerSeen = false;
  private done = false;
  private timer: { clear(): void } | null = null;

  constructor(private readonly opts: InboundOrderOptions) {}

  /** True once the backlog is done: messages pass straight through. */
  get live(): boolean {
    return this.done;
  }

  /** Messages held now. */
  get holding(): number {
    return this.held.length;
  }

  /** An `offline="1"` message stanza arrived on the socket (before Baileys handles it). */
  offlineStanza(id: string): void {
    if (!this.done) this.pendingOffline.add(id);
  }

  /** Baileys upserted these message ids (whether or not they normalize into messages). */
  upserted(ids: Iterable<string>): void {
    for (const id of ids) this.pendingOffline.delete(id);
  }

  /** The `<ib><offline/>` marker arrived: every offline stanza has been sent to us. */
  marker(): void {
    this.markerSeen = true;
  }

  /**
   * One upsert's messages, normalized, in Baileys' order. Call `settle()` after it
   * (and after `upserted`) to release the held messages once the backlog is done.
   */
  offer(messages: InboundMessage[]): void {
    if (this.done) {
      if (messages.length > 0) this.opts.deliver(messages);
      return;
    }
    const out: InboundMessage[] = [];
    const held: InboundMessage[] = [];
    for (const message of messages) {
      if (message.upsertType === 'notify') {
        const m = { ...message, held: true };
        this.held.push({ message: m, seq: this.seq++ });
        held.push(m);
        continue;
      }
      // An offline message older than something held of its chat: that one waits anyway;
      // one held that is older than this offline message goes first.
      out.push(...this.take((h) => h.message.chatId === message.chatId && h.message.timestamp < message.timestamp));
      out.push(message);
    }
    if (held.length > 0) this.opts.onHold?.(held);
    if (out.length > 0) this.opts.deliver(out);
    if (this.held.length > 0 && !this.timer) this.timer = (this.opts.setTimer ?? defaultTimer)(() => this.expire(), this.opts.holdMaxMs);
  }

  /** Ends the hold when the backlog is done (the marker came and nothing offline is pending). */
  settle(): void {
    if (!this.done && this.markerSeen && this.pendingOffline.size === 0) this.finish();
  }

  /** The connection is closing: nothing acknowledged may be lost, release it all now. */
  releaseAll(): void {
    if (!this.done) this.finish();
  }

  private expire(): void {
    this.timer = null;
    if (this.done || this.held.length === 0) return;
    this.opts.onHoldExpired?.({ held: this.held.length, pendingOffline: this.pendingOffline.size, markerSeen: this.markerSeen });
    this.finish();
  }

  private finish(): void {
    this.done = true;
    this.pendingOffline.clear();
    this.timer?.clear();
    this.timer = null;
    const out = this.take(() => true);
    if (out.length > 0) this.opts.deliver(out);
  }

  /** Removes the held messages matching `pick`, in timestamp order (arrival order on ties). */
  private take(pick: (h: Held) => boolean): InboundMessage[] {
    const taken = this.held.filter(pick);
    if (taken.length === 0) return [];
    this.held = this.held.filter((h) => !pick(h));
    taken.sort((a, b) => a.message.timestamp - b.message.timestamp || a.seq - b.seq);
    return taken.map((h) => h.message);
  }
}
