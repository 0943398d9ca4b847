/**
 * What a failure means, in one module (SPEC §3, §6): how a connection ended
 * (`classifyEnd`, `classifyClose` for WhatsApp's numeric codes) and whether a failed
 * send is worth another try (`classifySendError`). The only place that knows the
 * numeric codes.
 */
import { isWagateError, type ErrorInfo } from '../src/errors.js';

export type CloseKind =
  /** 515 "restart required" (also after a QR scan): reconnect at once, not a failure. */
  | 'restart'
  /** 401/403/402/406: the device was logged out, refused or banned; never retried. */
  | 'logged-out'
  /** 440: another client took over this session; never retried automatically. */
  | 'conflict'
  /** 405: WhatsApp says the client is outdated. */
  | 'outdated'
  /** 408/428/500/503/anything else: transient; back off and retry. */
  | 'retry'
  /** Our watchdog dropped a connection that went silent: back off and retry. */
  | 'stalled'
  /**
   * The connection failed here, not at WhatsApp (it could not be opened: unreadable
   * creds, an auth dir we cannot write…): stop, with that error and its fix.
   */
  | 'failed'
  /** 0: we closed it ourselves (logout, stop); nothing to do. */
  | 'closed-by-us';

/**
 * How one connection ended, as its connection actor reports it (the machine's CLOSE
 * event and the transport's `close` event carry one).
 */
export type ConnectionClose =
  /** The socket closed; `code` is WhatsApp's (or Baileys') status code, 0 = we closed it. */
  | { code: number; reason: string }
  /** It failed locally, with our own error (kind `failed`); there is no status code. */
  | { code: null; reason: string; error: ErrorInfo }
  /** Our watchdog gave up on a silent connection (kind `stalled`); no status code. */
  | { code: null; reason: string; stalled: true };

export interface CloseClassification {
  kind: CloseKind;
  /** Present for the kinds that stop the account (logged-out, conflict, outdated, failed). */
  error?: ErrorInfo;
}

function detail(code: number, reason: string | undefined): string {
  return reason ? `${code}: ${reason}` : String(code);
}

const LOGGED_OUT_WHAT: Record<number, string> = {
  401: 'WhatsApp logged this device out',
  403: 'WhatsApp refused this account',
  402: 'WhatsApp banned this account',
  406: 'WhatsApp banned this account',
};

/** Classify how a connection ended: a local failure, a stall, or WhatsApp's status code. */
export function classifyEnd(close: ConnectionClose): CloseClassification {
  if ('error' in close) return { kind: 'failed', error: close.error };
  if ('stalled' in close) return { kind: 'stalled' };
  return classifyClose(close.code, close.reason);
}

/** Classify WhatsApp's (or Baileys') numeric close code. */
export function classifyClose(code: number, reason?: string): CloseClassification {
  const why = detail(code, reason);
  switch (code) {
    case 0:
      return { kind: 'closed-by-us' };
    case 515:
      return { kind: 'restart' };
    case 401:
    case 402:
    case 403:
    case 406:
      return {
        kind: 'logged-out',
        error: {
          code: 'WAGATE_ERR_LOGGED_OUT',
          message: `${LOGGED_OUT_WHAT[code]} (${why}); run \`wagate channels login\` again.`,
        },
      };
    case 440:
      return {
        kind: 'conflict',
        error: {
          code: 'WAGATE_ERR_CONFLICT',
          message: `Conflict (${why}): another client uses this session; stop it, then restart the gateway.`,
        },
      };
    case 405:
      return {
        kind: 'outdated',
        error: {
          code: 'WAGATE_ERR_OUTDATED',
          message:
            `WhatsApp refused this client's WhatsApp Web version as outdated (${why}). ` +
            'Set `web.version` to the current one ([2, 3000, N], see README "Running on real WhatsApp"), ' +
            'or remove it if it is set, then restart the gateway; or update wagate.',
        },
      };
    default:
      return { kind: 'retry' };
  }
}

/** What a failed send means: try again shortly, or report it. */
export type SendErrorKind = 'transient' | 'permanent';

/** Status codes of a failed send worth another try: timeout, connection closed, rate limit, server busy. */
const TRANSIENT_SEND_STATUS = new Set([408, 428, 429, 500, 503]);
const TRANSIENT_SEND_TEXT = /timed out|timeout|connection (closed|lost)|ECONNRESET|socket hang up|EPIPE/i;

/**
 * Classify an error thrown by a send: the connection blipped or WhatsApp answered
 * "try later" → transient; our own errors are decisions (not connected, bad address,
 * media refused) and everything else is permanent.
 */
export function classifySendError(err: unknown): SendErrorKind {
  if (isWagateError(err)) return 'permanent';
  const status = (err as { output?: { statusCode?: number } } | null)?.output?.statusCode;
  if (status !== undefined) return TRANSIENT_SEND_STATUS.has(status) ? 'transient' : 'permanent';
  const msg = String((err as Error | null)?.message ?? err);
  return TRANSIENT_SEND_TEXT.test(msg) ? 'transient' : 'permanent';
}
