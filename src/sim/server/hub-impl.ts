/**
 * The server half's `SimHub`: the registry of linked companions, the stanza
 * handlers the world half registers, live delivery and the per-account offline
 * queue, and the login hooks.
 */
import type { BinaryNode } from '@whiskeysockets/baileys';
import type { SimCompanion, SimHub, StanzaContext, StanzaHandler } from '../hub.js';

/** The live connection of a logged-in companion, as the hub sees it. */
export interface LiveLink {
  send(node: BinaryNode): void;
}

/** What the server keeps about a linked companion beyond the public view. */
export interface CompanionRecord extends SimCompanion {
  /** The client's static Noise public key (matched at login). */
  noiseKey: Buffer;
  /** The client's signed identity public key (from the QR). */
  identityKey: Buffer;
  /** True until the first completed login after linking. */
  firstLoginPending: boolean;
}

type LoginHandler = Parameters<SimHub['onCompanionLogin']>[0];

interface Waiter {
  resolve(c: SimCompanion): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export class Hub implements SimHub {
  private readonly records = new Map<string, CompanionRecord>();
  private readonly handlers = new Map<string, StanzaHandler[]>();
  private readonly loginHandlers: LoginHandler[] = [];
  private readonly links = new Map<string, LiveLink>();
  private readonly queues = new Map<string, BinaryNode[]>();
  /** Message stanzas sent to a companion and not acknowledged yet (receipt or ack), by id. */
  private readonly unacked = new Map<string, Map<string, BinaryNode>>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private idCounter = 0;

  constructor(private readonly onHandlerError: (err: unknown, where: string) => void) {}

  get companions(): ReadonlyMap<string, SimCompanion> {
    return this.records;
  }

  record(user: string): CompanionRecord | undefined {
    return this.records.get(user);
  }

  /** Registers (or replaces) the companion of `rec.user`. */
  addCompanion(rec: CompanionRecord): void {
    this.records.set(rec.user, rec);
  }

  /** Forgets the companion of `user` (logged out / device removed). */
  removeCompanion(user: string): void {
    this.setOffline(user);
    this.records.delete(user);
  }

  onStanza(tag: string, handler: StanzaHandler): void {
    const list = this.handlers.get(tag) ?? [];
    list.push(handler);
    this.handlers.set(tag, list);
  }

  onCompanionLogin(handler: LoginHandler): void {
    this.loginHandlers.push(handler);
  }

  /** Offers a client stanza to the registered handlers; true when one took it. */
  async dispatch(node: BinaryNode, ctx: StanzaContext): Promise<boolean> {
    for (const handler of this.handlers.get(node.tag) ?? []) {
      try {
        if (await handler(node, ctx)) return true;
      } catch (err) {
        this.onHandlerError(err, `stanza handler for <${node.tag}>`);
      }
    }
    return false;
  }

  deliver(user: string, node: BinaryNode): boolean {
    const link = this.links.get(user);
    if (link && this.records.get(user)?.online) {
      this.sent(user, [node]);
      link.send(node);
      return true;
    }
    const queue = this.queues.get(user) ?? [];
    queue.push(node);
    this.queues.set(user, queue);
    return false;
  }

  /**
   * Marks the companion online on `link` and hands back what was queued for it,
   * each stanza marked `offline="1"`.
   */
  setOnline(user: string, link: LiveLink): BinaryNode[] {
    const rec = this.records.get(user);
    if (!rec) return [];
    rec.online = true;
    // A login that replaces a live session (that one gets 440): what the replaced session
    // never acknowledged goes to this one — its own setOffline no longer can, the link
    // being this one's by then — as WhatsApp delivers a device's unacknowledged messages
    // to its next connection.
    const previous = this.links.get(user);
    if (previous && previous !== link) {
      const unacked = [...(this.unacked.get(user)?.values() ?? [])];
      this.unacked.delete(user);
      if (unacked.length > 0) this.requeue(user, unacked);
    }
    this.links.set(user, link);
    const queued = this.queues.get(user) ?? [];
    this.queues.delete(user);
    for (const w of this.waiters.get(user) ?? []) {
      clearTimeout(w.timer);
      w.resolve(rec);
    }
    this.waiters.delete(user);
    return queued.map((n) => ({ ...n, attrs: { ...n.attrs, offline: '1' } }));
  }

  /**
   * Message stanzas going out to the companion of `user`: kept until it acknowledges
   * them, and queued again if its connection ends first — as WhatsApp does, so a
   * message whose connection broke before the device's receipt is not lost.
   */
  sent(user: string, nodes: BinaryNode[]): void {
    for (const node of nodes) {
      if (node.tag !== 'message' || !node.attrs.id) continue;
      const map = this.unacked.get(user) ?? new Map<string, BinaryNode>();
      map.set(node.attrs.id, node);
      this.unacked.set(user, map);
    }
  }

  /** The companion of `user` acknowledged these stanza ids (a receipt or an ack). */
  acked(user: string, ids: string[]): void {
    const map = this.unacked.get(user);
    if (!map) return;
    for (const id of ids) map.delete(id);
  }

  /** Puts stanzas a session never got back at the front of the offline queue of `user`. */
  requeue(user: string, nodes: BinaryNode[]): void {
    const plain = nodes.map((n) => {
      const { offline: _offline, ...attrs } = n.attrs;
      return { ...n, attrs };
    });
    this.queues.set(user, [...plain, ...(this.queues.get(user) ?? [])]);
  }

  /** Marks the companion offline if `link` (when given) is still its live link. */
  setOffline(user: string, link?: LiveLink): void {
    if (link && this.links.get(user) !== link) return;
    this.links.delete(user);
    // What the ended session never acknowledged is delivered again at the next login.
    const unacked = [...(this.unacked.get(user)?.values() ?? [])];
    this.unacked.delete(user);
    if (unacked.length > 0) this.requeue(user, unacked);
    const rec = this.records.get(user);
    if (rec) rec.online = false;
  }

  async runLoginHandlers(rec: CompanionRecord, firstLogin: boolean): Promise<void> {
    for (const handler of this.loginHandlers) {
      try {
        await handler(rec, { firstLogin });
      } catch (err) {
        this.onHandlerError(err, 'companion login handler');
      }
    }
  }

  waitOnline(user: string, timeoutMs = 10_000): Promise<SimCompanion> {
    const rec = this.records.get(user);
    if (rec?.online) return Promise.resolve(rec);
    return new Promise((resolve, reject) => {
      const set = this.waiters.get(user) ?? new Set<Waiter>();
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          set.delete(waiter);
          reject(new Error(`sim: ${user} did not come online within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      set.add(waiter);
      this.waiters.set(user, set);
    });
  }

  nextId(): string {
    this.idCounter += 1;
    return `SIM${this.idCounter.toString(16).toUpperCase().padStart(12, '0')}`;
  }

  /** Rejects every pending `waitOnline` (the server is closing). */
  close(): void {
    for (const set of this.waiters.values()) {
      for (const w of set) {
        clearTimeout(w.timer);
        w.reject(new Error('sim: server closed'));
      }
    }
    this.waiters.clear();
    this.links.clear();
  }
}
