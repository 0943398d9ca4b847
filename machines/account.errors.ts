/**
 * The errors the account machine itself decides on (close codes that carry their own
 * error are in close-codes.ts). Plain `{code, message}` so context stays JSON.
 */
import type { ErrorInfo } from '../src/errors.js';

/**
 * A link attempt ended by a transient close: 408 means WhatsApp's link refs ran out —
 * no QR was scanned or, linking by pairing code (`phone`), the code was not entered.
 */
export function linkFailedError(code: number | null, reason: string, phone: string | null = null): ErrorInfo {
  if (code === 408) {
    return {
      code: 'WAGATE_ERR_LOGIN_TIMEOUT',
      message: phone
        ? `The pairing code was not entered on ${phone} in time; run \`wagate channels login --phone ${phone}\` again.`
        : 'The QR code was not scanned in time; run `wagate channels login` again.',
    };
  }
  const why = code === null ? reason : `${code}: ${reason}`;
  return {
    code: 'WAGATE_ERR_NOT_LINKED',
    message: `The connection closed while linking (${why}); run \`wagate channels login\` again.`,
  };
}

/** `web.reconnect.maxAttempts` failures in a row. */
export function gaveUpError(attempts: number): ErrorInfo {
  return {
    code: 'WAGATE_ERR_GAVE_UP',
    message: `Reconnecting failed ${attempts} times in a row; check the network, then restart the gateway.`,
  };
}
