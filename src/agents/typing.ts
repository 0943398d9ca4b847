/**
 * The typing indicator while an agent works (SPEC §6): `composing` at once and
 * every `refreshMs` (WhatsApp lets it lapse), `paused` when stopped. Failures
 * (account offline, send error) are logged at debug and otherwise ignored.
 *
 * The refreshes of every chat showing typing share one timer (`TypingRefresh`),
 * not a `setInterval` each: a DM's run starts and stops typing, and Node's timer
 * lists made that a few microseconds per message.
 */
import type { LogFns } from '../log.js';
import type { Connection } from '../ports/transport.js';

export const TYPING_REFRESH_MS = 10_000;

/** The clock the shared refresh runs on (tests inject a manual one). */
export interface TypingClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's timers, read at call time (a test's fake timers apply); the timer does not keep the process alive. */
export const nodeTypingClock: TypingClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** One chat's refresh: what to send and when next. */
interface Refreshing {
  readonly send: () => void;
  due: number;
}

/**
 * One timer for the refreshes of every chat showing typing. Each chat is
 * refreshed `refreshMs` after it started, then `refreshMs` after each refresh
 * (when the timer actually ran: a late tick delays the next one, as with
 * `setInterval`). All chats share the period, so the order chats were added in
 * is the order they come due: a Set in insertion order is the queue, and the
 * timer is armed for its head.
 *
 * When the last chat stops, the timer is left armed (unref'd: it keeps nothing
 * alive) until its tick, which finds nothing due and ends; a chat starting before
 * then reuses it. So a DM's typing costs a Set entry, not a timer. `stop()`
 * clears it.
 */
export class TypingRefresh {
  private readonly queue = new Set<Refreshing>();
  private timer: unknown = null;
  private timerAt = 0;

  constructor(
    readonly refreshMs: number = TYPING_REFRESH_MS,
    private readonly clock: TypingClock = nodeTypingClock,
  ) {}

  /** Refresh `send` every `refreshMs` from now until the returned function is called. */
  add(send: () => void): () => void {
    const entry: Refreshing = { send, due: this.clock.now() + this.refreshMs };
    this.queue.add(entry);
    // The new entry is the latest due: an armed timer comes first anyway.
    if (this.timer === null) this.arm(entry.due);
    return () => void this.queue.delete(entry);
  }

  /** Chats refreshing now. */
  get size(): number {
    return this.queue.size;
  }

  /** True while the shared timer is armed. */
  get armed(): boolean {
    return this.timer !== null;
  }

  /** Clears the timer and forgets every chat (nothing is sent). */
  stop(): void {
    this.queue.clear();
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(at: number): void {
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => this.tick(), Math.max(1, Math.ceil(at - this.clock.now())));
  }

  private tick(): void {
    this.timer = null;
    const now = Math.max(this.clock.now(), this.timerAt);
    const due: Refreshing[] = [];
    for (const e of this.queue) {
      if (e.due > now) break;
      due.push(e);
    }
    for (const e of due) {
      // Re-queued at the end: `now + refreshMs` is at least every other entry's due time.
      this.queue.delete(e);
      e.due = now + this.refreshMs;
      this.queue.add(e);
    }
    for (const e of due) if (this.queue.has(e)) e.send();
    const head = this.queue.values().next();
    if (!head.done && this.timer === null) this.arm(head.value.due);
  }
}

export function startTyping(
  connection: () => Connection,
  chatJid: string,
  log: Pick<LogFns, 'debug'>,
  refresh: TypingRefresh,
): () => void {
  const send = (state: 'composing' | 'paused') => {
    try {
      void connection()
        .sendPresence(chatJid, state)
        .catch((err: unknown) => log.debug({ err, chatJid, state }, 'typing indicator failed'));
    } catch (err) {
      log.debug({ err, chatJid, state }, 'typing indicator failed');
    }
  };
  send('composing');
  const cancel = refresh.add(() => send('composing'));
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    cancel();
    send('paused');
  };
}

/** One run's share of its chat's typing. */
export interface TypingTurn {
  /** The run begins working: composing shows (nothing is sent if it already does). */
  start(): void;
  /** The run finished or failed (idempotent): paused once no other run of the chat waits. */
  done(): void;
}

/**
 * Typing across a chat's queued runs. Runs of one session go one at a time, so
 * a burst of messages from a chat would flicker `paused` → `composing` between
 * every answer (two presence stanzas per message). Instead the chat shows
 * `composing` from its first run's start until its last queued run is done,
 * then `paused` — what a person watching the chat expects while the assistant
 * works through their messages. Take a `turn()` when a run is queued.
 */
export class ChatTyping {
  private readonly chats = new Map<string, { waiting: number; stop: (() => void) | null }>();

  constructor(private readonly startFor: (accountId: string, chatJid: string) => () => void) {}

  turn(accountId: string, chatJid: string): TypingTurn {
    const key = `${accountId}\u0000${chatJid}`;
    let chat = this.chats.get(key);
    if (!chat) this.chats.set(key, (chat = { waiting: 0, stop: null }));
    chat.waiting += 1;
    const entry = chat;
    let finished = false;
    return {
      start: () => {
        if (!finished && !entry.stop) entry.stop = this.startFor(accountId, chatJid);
      },
      done: () => {
        if (finished) return;
        finished = true;
        entry.waiting -= 1;
        if (entry.waiting > 0) return;
        if (this.chats.get(key) === entry) this.chats.delete(key);
        entry.stop?.();
      },
    };
  }

  /** Chats showing typing now. */
  get active(): number {
    let n = 0;
    for (const e of this.chats.values()) if (e.stop) n += 1;
    return n;
  }

  /** Stops every chat's typing (gateway stopping). */
  stopAll(): void {
    for (const e of this.chats.values()) e.stop?.();
    this.chats.clear();
  }
}
