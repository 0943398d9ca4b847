/**
 * In the order WhatsApp sent them, per chat, whatever order Baileys upserts them in.
 *
 * Baileys rc14 handles each message stanza in its own task and only serializes the
 * decryption (`messageMutex`); what a task awaits before it reaches that mutex varies.
 * A burst of a new contact's first messages (all session-opening `pkmsg`, each with
 * the contact's LID ↔ phone number mapping) shows it: the tasks that arrive while the
 * first one is still storing the mapping store it again and migrate the session
 * before their turn, those that arrive after it was stored go straight in — seen in
 * the simulator: upserts 1, 18–29, 2–17.
 *
 * WhatsApp sends a chat's messages on the socket in their order, so the socket's order
 * is the chat's order. One `StanzaOrder` per connection: every message stanza is noted
 * as it arrives (`seen`, keyed by its chat: the stanza's `from`); an upserted message
 * goes on only once every stanza of its chat seen before it was upserted (or given
 * up: a stanza Baileys never upserts — one it cannot decrypt, one it ignores — holds
 * its chat at most `holdMaxMs`). Messages whose stanza was never seen (recovered at
 * start, emitted by Baileys itself) pass straight through.
 *
 * Pure: no Baileys; the transport feeds it stanzas and upserts.
 */
export interface StanzaOrderOptions<M> {
  /** Where messages go, in their chats' socket order. */
  deliver(messages: M[]): void;
  /** The stanza id of a message. */
  idOf(message: M): string;
  /** The longest an upserted message waits for an earlier stanza of its chat. */
  holdMaxMs: number;
  setTimer?: (fn: () => void, ms: number) => { clear(): void };
  /** Told when earlier stanzas were given up on (their wait ended by the time limit). */
  onGiveUp?: (info: { chat: string; ids: string[] }) => void;
}

interface Pending<M> {
  id: string;
  chat: string;
  /** Upserted (or given up): no longer holds its chat. */
  done: boolean;
  /** What its upsert normalized into, waiting for its turn. */
  out: M[];
  /** The timer round it was seen in. */
  round: number;
}

const defaultTimer = (fn: () => void, ms: number) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return { clear: () => clearTimeout(t) };
};

export class StanzaOrder<M> {
  /** Per chat, its stanzas not delivered yet, in socket order. */
  private readonly chats = new Map<string, Pending<M>[]>();
  private readonly byId = new Map<string, Pending<M>>();
  private timer: { clear(): void } | null = null;
  private round = 0;

  constructor(private readonly opts: StanzaOrderOptions<M>) {}

  /** Stanzas waiting (seen and not delivered), for tests and summaries. */
  get waiting(): number {
    return this.byId.size;
  }

  /** A message stanza arrived on the socket (before Baileys handles it). */
  seen(id: string, chat: string): void {
    if (this.byId.has(id)) return; // delivered again: its first copy keeps its place
    const p: Pending<M> = { id, chat, done: false, out: [], round: this.round };
    this.byId.set(id, p);
    const list = this.chats.get(chat) ?? [];
    list.push(p);
    this.chats.set(chat, list);
    this.arm();
  }

  /**
   * Baileys upserted stanzas `ids` (whether or not they normalize into messages);
   * `messages` is what they normalized into. Delivers what is now in order.
   */
  upserted(ids: readonly string[], messages: readonly M[]): void {
    const direct: M[] = [];
    const touched = new Set<string>();
    for (const m of messages) {
      const p = this.byId.get(this.opts.idOf(m));
      if (p) p.out.push(m);
      else direct.push(m);
    }
    for (const id of ids) {
      const p = this.byId.get(id);
      if (!p) continue;
      p.done = true;
      touched.add(p.chat);
    }
    const out = [...direct];
    for (const chat of touched) out.push(...this.drain(chat));
    if (out.length > 0) this.opts.deliver(out);
  }

  /** The connection is closing: deliver everything upserted, whatever waits. */
  releaseAll(): void {
    const out: M[] = [];
    for (const [chat, list] of this.chats) {
      for (const p of list) if (!p.done) p.done = true;
      out.push(...this.drain(chat));
    }
    this.timer?.clear();
    this.timer = null;
    if (out.length > 0) this.opts.deliver(out);
  }

  /** Takes a chat's leading done stanzas (in socket order) and returns their messages. */
  private drain(chat: string): M[] {
    const list = this.chats.get(chat);
    if (!list) return [];
    const out: M[] = [];
    while (list.length > 0 && list[0]!.done) {
      const p = list.shift()!;
      this.byId.delete(p.id);
      out.push(...p.out);
    }
    if (list.length === 0) this.chats.delete(chat);
    return out;
  }

  /**
   * One timer for the whole connection, running while stanzas wait: every `holdMaxMs`
   * the stanzas seen before the previous round and still not upserted are given up
   * (so a message waits at most about twice `holdMaxMs` for an earlier stanza).
   */
  private arm(): void {
    if (this.timer) return;
    this.timer = (this.opts.setTimer ?? defaultTimer)(() => this.expire(), this.opts.holdMaxMs);
  }

  private expire(): void {
    this.timer = null;
    const out: M[] = [];
    for (const [chat, list] of [...this.chats]) {
      const given = list.filter((p) => !p.done && p.round < this.round);
      if (given.length === 0) continue;
      for (const p of given) p.done = true;
      // Only worth a warning when something upserted was waiting behind them.
      if (list.some((p) => p.out.length > 0)) this.opts.onGiveUp?.({ chat, ids: given.map((p) => p.id) });
      out.push(...this.drain(chat));
    }
    this.round += 1;
    if (out.length > 0) this.opts.deliver(out);
    if (this.byId.size > 0) this.arm();
  }
}
