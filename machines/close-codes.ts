/**
 * Close-code classification (SPEC §3): what a closed WhatsApp connection means for
 * the account. One switch, the only place that knows the numeric codes.
 */
import type { ErrorInfo } from '../src/errors.js';

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
  /** 0: we closed it ourselves (logout, stop); nothing to do. */
  | 'closed-by-us';

export interface CloseClassification {
  kind: CloseKind;
  /** Present for the kinds that stop the account (logged-out, conflict, outdated). */
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
          message: `WhatsApp says this client is outdated (${why}); update wagate.`,
        },
      };
    default:
      return { kind: 'retry' };
  }
}
