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
