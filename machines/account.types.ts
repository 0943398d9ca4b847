/**
 * Types of the account machine: its input, context (plain JSON — it is shown in
 * status and `wagate debug dump`) and events.
 */
import type { ErrorInfo } from '../src/errors.js';
import type { ReconnectPolicy } from './backoff.js';

/** The state names; other code reads `snapshot.value` as one of these. */
export const ACCOUNT_STATES = [
  'unlinked',
  'linking',
  'connecting',
  'connected',
  'backing-off',
  'logged-out',
  'degraded',
  'stopped',
] as const;

export type AccountStateValue = (typeof ACCOUNT_STATES)[number];

/** How `openConnection` should open the socket: fresh link (QR) or saved creds. */
export type ConnectionMode = 'link' | 'resume';

/** Who the account is logged in as (same shape as the transport's LinkedIdentity). */
export interface AccountIdentity {
  jid: string;
  e164: string | null;
  lid?: string | null;
  name?: string | null;
}

export interface LastClose {
  code: number;
  reason: string;
  /** `now()` when the CLOSE arrived (ms since epoch). */
  at: number;
}

export interface AccountInput {
  accountId: string;
  /** Saved creds exist, so START resumes instead of waiting for LOGIN. */
  hasCreds: boolean;
  reconnect: Partial<ReconnectPolicy>;
  /** `web.heartbeatSeconds`: a connection this old counts as stable. */
  heartbeatSeconds: number;
}

export interface AccountContext {
  accountId: string;
  /** Creds exist (input.hasCreds, or a link completed); false after LOGOUT/LOGIN. */
  linked: boolean;
  /** Failed connection attempts in a row (0 after a stable connection). */
  attempt: number;
  /** While backing-off: the chosen delay and when the next try happens. */
  retryDelayMs: number | null;
  nextRetryAt: number | null;
  lastClose: LastClose | null;
  /** While connected: when the connection opened. */
  connectedSince: number | null;
  identity: AccountIdentity | null;
  /** QR references seen during the current link attempt. */
  qrCount: number;
  /** Why the account stopped (logged-out, degraded, failed link); null when healthy. */
  error: ErrorInfo | null;
  policy: ReconnectPolicy;
  heartbeatSeconds: number;
}

export type AccountMachineEvent =
  /**
   * Supervisor started the account: resume if linked, else stay unlinked.
   * `hasCreds`, when given, replaces `input.hasCreds` (the runtime may only know
   * after the actor was created).
   */
  | { type: 'START'; hasCreds?: boolean }
  /** User asked to link (`wagate channels login`). */
  | { type: 'LOGIN' }
  /** WhatsApp handed out a QR reference while linking. */
  | { type: 'QR'; qr: string }
  /** The socket opened and is logged in. */
  | { type: 'OPEN'; identity: AccountIdentity }
  /** The socket closed; `code` is the WhatsApp/Baileys status code (0 = we closed it). */
  | { type: 'CLOSE'; code: number; reason: string }
  /** User fixed what degraded the account; try again with attempts reset. */
  | { type: 'RECONNECT' }
  /** User unlinked the account (`wagate channels logout`). */
  | { type: 'LOGOUT' }
  /** Orderly shutdown. */
  | { type: 'STOP' };
