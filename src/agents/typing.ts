/**
 * The typing indicator while an agent works (SPEC §6): `composing` at once and
 * every `refreshMs` (WhatsApp lets it lapse), `paused` when stopped. Failures
 * (account offline, send error) are logged at debug and otherwise ignored.
 */
import type { LogFns } from '../log.js';
import type { Connection } from '../ports/transport.js';

export const TYPING_REFRESH_MS = 10_000;

export function startTyping(
  connection: () => Connection,
  chatJid: string,
  log: Pick<LogFns, 'debug'>,
  refreshMs: number = TYPING_REFRESH_MS,
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
  const timer = setInterval(() => send('composing'), refreshMs);
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
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
