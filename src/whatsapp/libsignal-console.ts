/**
 * libsignal (used by Baileys) writes through `console` — and "Closing session:" /
 * "Opening session:" lines dump whole session records, key material included.
 * Secrets are never logged (SPEC §12), so once per process we route libsignal's
 * known messages to pino at debug, with the message text only; anything else
 * goes to the console as before.
 */
import type { Logger } from 'pino';

const LIBSIGNAL_MESSAGES = [
  'Closing session',
  'Opening session',
  'Removing old closed session',
  'Session already',
  'Migrating session',
  'Closing open session',
  'Decrypted message with closed session',
  'Failed to decrypt message',
  'Session error',
  'WARNING: Expected pubkey',
  'V1 session storage',
  'Unhandled bucket type',
];

let installed = false;

export function isLibsignalMessage(first: unknown): boolean {
  return typeof first === 'string' && LIBSIGNAL_MESSAGES.some((m) => first.startsWith(m));
}

export function routeLibsignalConsole(logger: Logger): void {
  if (installed) return;
  installed = true;
  const log = logger.child({ subsystem: 'whatsapp/signal' });
  for (const method of ['log', 'info', 'warn', 'error'] as const) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      if (isLibsignalMessage(args[0])) log.debug({ console: method }, String(args[0]).replace(/[:\s]+$/, ''));
      else original(...args);
    };
  }
}
