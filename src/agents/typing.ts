/**
 * The typing indicator while an agent works (SPEC §6): `composing` at once and
 * every `refreshMs` (WhatsApp lets it lapse), `paused` when stopped. Failures
 * (account offline, send error) are logged at debug and otherwise ignored.
 */
import type { Logger } from 'pino';
import type { Connection } from '../ports/transport.js';

export const TYPING_REFRESH_MS = 10_000;

export function startTyping(
  connection: () => Connection,
  chatJid: string,
  log: Pick<Logger, 'debug'>,
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

/**
 * Typing across a chat's queued runs. Runs of one session go one at a time, so
 * a burst of messages from a chat would flicker `paused` → `composing` between
 * every answer (two presence stanzas per message). Instead the chat shows
 * `composing` from its first run's start until its last queued run is done,
 * then `paused` — what a person watching the chat expects while the assistant
 * works through their messages.
 *
 *   queued(chat)  when a run for the chat is queued
 *   start(chat)   when that run begins working (sends composing unless showing)
 *   done(chat)    when it finished or failed: paused once no other run of the chat waits
 */
export class ChatTyping {
  private readonly chats = new Map<string, { waiting: number; stop: (() => void) | null }>();

  constructor(private readonly startFor: (accountId: string, chatJid: string) => () => void) {}

  private entry(accountId: string, chatJid: string) {
    const key = `${accountId}\u0000${chatJid}`;
    let e = this.chats.get(key);
    if (!e) this.chats.set(key, (e = { waiting: 0, stop: null }));
    return { key, e };
  }

  queued(accountId: string, chatJid: string): void {
    this.entry(accountId, chatJid).e.waiting += 1;
  }

  start(accountId: string, chatJid: string): void {
    const { e } = this.entry(accountId, chatJid);
    if (e.waiting === 0) e.waiting = 1; // started without queued(): counts as one run
    if (!e.stop) e.stop = this.startFor(accountId, chatJid);
  }

  done(accountId: string, chatJid: string): void {
    const { key, e } = this.entry(accountId, chatJid);
    e.waiting -= 1;
    if (e.waiting > 0) return;
    this.chats.delete(key);
    e.stop?.();
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
