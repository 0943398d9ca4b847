/**
 * `GET /readyz` (SPEC §10): ready when every enabled account is connected or
 * rests in an explained final state.
 *
 * "Explained final" means the account says why it stopped and only a person can
 * move it on, whatever a process manager does: `unlinked` (waiting for
 * `wagate channels login`), `logged-out`, and `degraded` by an outdated client or
 * a local failure (unreadable creds…). Not ready: an account on its way
 * (`linking`, `connecting`, `backing-off`), and `degraded` whose fix is a restart
 * — a 440 conflict (another client took the session) or reconnecting given up —
 * so a probe shows that something needs attention now.
 */
import type { AccountStateName } from '../bus/events.js';
import type { ErrorInfo } from '../errors.js';

export interface AccountReadiness {
  accountId: string;
  state: string;
  /** The error code that stopped it (degraded, logged-out), if any. */
  error?: string;
}

export interface Readiness {
  ready: boolean;
  /** The enabled accounts that are not ready. */
  notReady: AccountReadiness[];
}

/** Degraded by these, a restart of the gateway (after the cause is gone) is the fix. */
const RESTART_FIXES: ReadonlySet<string> = new Set(['WAGATE_ERR_CONFLICT', 'WAGATE_ERR_GAVE_UP']);

export function accountReady(state: AccountStateName, error: ErrorInfo | null): boolean {
  switch (state) {
    case 'connected':
    case 'unlinked':
    case 'logged-out':
      return true;
    case 'degraded':
      return error !== null && !RESTART_FIXES.has(error.code);
    default:
      return false;
  }
}

export function readiness(accounts: Iterable<{ accountId: string; state: AccountStateName; error: ErrorInfo | null }>): Readiness {
  const notReady: AccountReadiness[] = [];
  for (const a of accounts) {
    if (accountReady(a.state, a.error)) continue;
    notReady.push({ accountId: a.accountId, state: a.state, ...(a.error ? { error: a.error.code } : {}) });
  }
  return { ready: notReady.length === 0, notReady };
}
