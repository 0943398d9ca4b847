/**
 * The error registry: every error wagate reports to a user has a stable code,
 * a message that says what to do, and (optionally) a cause. `test/errors.test.ts`
 * keeps this table in sync with the README's troubleshooting section.
 */
export const ERRORS = {
  WAGATE_ERR_CONFIG: 'The config file is invalid; fix the named key and run the command again.',
  WAGATE_ERR_CONFIG_WRITE: 'The config could not be written; nothing was changed.',
  WAGATE_ERR_NOT_LINKED: 'The account is not linked; run `wagate channels login`.',
  WAGATE_ERR_LOGGED_OUT: 'WhatsApp logged this device out; run `wagate channels login` again.',
  WAGATE_ERR_CONFLICT:
    'Another client uses this session; stop it, then restart the gateway.',
  WAGATE_ERR_OUTDATED:
    'WhatsApp refused the WhatsApp Web version as outdated; set `web.version` to the current one ([2, 3000, N]) or remove it, or update wagate.',
  WAGATE_ERR_GAVE_UP: 'Reconnecting failed too many times; check the network, then restart the gateway.',
  WAGATE_ERR_NO_LISTENER: 'No active WhatsApp listener for the account; start the gateway and link the account.',
  WAGATE_ERR_UNKNOWN_ACCOUNT: 'No such account in the config; see `wagate channels status`.',
  WAGATE_ERR_GATEWAY_UNREACHABLE: 'The gateway is not running or not reachable; start it with `wagate gateway`.',
  WAGATE_ERR_UNAUTHORIZED: 'The control token was missing or wrong; check gateway.auth.token or the token file.',
  WAGATE_ERR_BAD_REQUEST: 'The request was malformed; see the control protocol in the README.',
  WAGATE_ERR_UNKNOWN_METHOD: 'The gateway does not know this method.',
  WAGATE_ERR_FRAME_TOO_LARGE: 'A control frame exceeded the size limit (1 MiB).',
  WAGATE_ERR_CREDS: 'The stored credentials could not be read; see `wagate doctor`.',
  WAGATE_ERR_LOGIN_TIMEOUT:
    'The QR code was not scanned (or the pairing code not entered) in time; run `wagate channels login` (or `… --phone <number>`) again.',
  WAGATE_ERR_PAIRING_CODE:
    'The pairing code is unknown, expired or malformed; see `wagate pairing list whatsapp` for pending codes.',
  WAGATE_ERR_PAIRING_STORE: 'An old pairing file could not be imported into the store; fix or move away the named file.',
  WAGATE_ERR_STORE:
    'The store (`<state>/wagate.db`) could not be opened, read or written; the message says why, see `wagate doctor`.',
  WAGATE_ERR_LEASE_LOST:
    'This node lost the lease of the account (another node took it after it expired); the write was refused and the account stopped here.',
  WAGATE_ERR_NODE_UNREACHABLE:
    'The cluster node that runs the account did not answer (dead, paused or cut off); its accounts move to another node when their leases expire, retry then.',
  WAGATE_ERR_NO_CAPACITY:
    'No cluster node has room for one more account (each holds its fair share or cluster.capacity); raise cluster.capacity or start another node.',
  WAGATE_ERR_STORE_VERSION:
    'The store was written by a newer wagate (a newer schema version); upgrade wagate or use another state directory.',
  WAGATE_ERR_UNKNOWN_SESSION: 'No session with this key; see `wagate sessions list`.',
  WAGATE_ERR_IMPORT:
    'The OpenClaw install could not be imported (not found, unreadable, or it would overwrite wagate.json keys without --force); nothing was changed.',
  WAGATE_ERR_UNKNOWN_CHANNEL: 'No such channel; the only channel is `whatsapp`.',
  WAGATE_ERR_MEDIA:
    'The media could not be sent (missing, unreachable, not a media file, or too large even after optimisation); check the named source.',
  WAGATE_ERR_REPLY_EXPIRED:
    'A reply waited for its account to reconnect longer than `web.catchUpMinutes` and was not sent; check the connection (`wagate channels status`).',
  WAGATE_ERR_STOPPING: 'The gateway stopped before this was done; it was left unfinished for the next start.',
  WAGATE_ERR_INTERNAL: 'An internal error occurred; see the log file (`wagate logs`).',
} as const;

export type ErrorCode = keyof typeof ERRORS;

/**
 * Plain, serializable error shape kept in machine context, bus events and control
 * frames. `cause` is the underlying error's own text (e.g. `EISDIR: illegal operation
 * on a directory, read`), kept so the real reason is never lost behind our message.
 */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  cause?: string;
}

/** The text of an error's cause (its message; a non-Error as a string); undefined when none. */
export function causeText(cause: unknown): string | undefined {
  if (cause === undefined || cause === null) return undefined;
  return cause instanceof Error ? cause.message : String(cause);
}

export class WagateError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? ERRORS[code], options);
    this.name = 'WagateError';
    this.code = code;
  }
  toInfo(): ErrorInfo {
    const cause = causeText(this.cause);
    return cause === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, cause };
  }
}

export function isWagateError(err: unknown): err is WagateError {
  return err instanceof WagateError;
}

/** Turn anything thrown into a plain {code, message}. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (isWagateError(err)) return err.toInfo();
  const message = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error ? causeText(err.cause) : undefined;
  return cause === undefined ? { code: 'WAGATE_ERR_INTERNAL', message } : { code: 'WAGATE_ERR_INTERNAL', message, cause };
}
