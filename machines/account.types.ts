/**
 * Types of the account machine: its input, context (plain JSON — it is shown in
 * status and `wagate debug dump`), events, and the connection actor it invokes.
 * The transport port (src/ports/transport.ts) and the bus catalogue reuse these.
 */
import type { StateValue } from 'xstate';
import type { ErrorInfo } from '../src/errors.js';
import type { ReconnectPolicy } from './backoff.js';
import type { CloseKind, ConnectionClose } from './close-codes.js';

/** The state names; other code reads the state as one of these (see `accountStateOf`). */
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

/**
 * The leaf state name of a snapshot value: `linking`, `connecting` and `connected`
 * sit under the parent state `online` (the connection's lifetime), e.g.
 * `{ online: 'connected' }` → `'connected'`.
 */
export function accountStateOf(value: StateValue): AccountStateValue {
  let v: StateValue = value;
  while (typeof v !== 'string') v = Object.values(v)[0] as StateValue;
  return v as AccountStateValue;
}

/** How the connection actor opens its socket: fresh link (QR) or saved creds. */
export type ConnectionMode =
  /** No creds yet: show QR codes until a phone scans one. */
  | 'link'
  /** Saved creds: log in with them. */
  | 'resume';

/** Who the account is linked as. */
export interface LinkedIdentity {
  /** Full device JID, e.g. `15550000001:3@s.whatsapp.net`. */
  jid: string;
  /** `+15550000001`, when the JID is a phone number. */
  e164: string | null;
  /** `…@lid` identity, when WhatsApp told us. */
  lid?: string | null;
  name?: string | null;
}

/** How the last connection ended. */
export interface LastClose {
  kind: CloseKind;
  /** WhatsApp's status code; null for a local failure or a stall (see `kind`). */
  code: number | null;
  reason: string;
  /** `now()` when the CLOSE arrived (ms since epoch). */
  at: number;
}

export interface AccountInput {
  accountId: string;
  reconnect: Partial<ReconnectPolicy>;
  /** `web.heartbeatSeconds`: a connection this old counts as stable. */
  heartbeatSeconds: number;
}

export interface AccountContext {
  accountId: string;
  /** Creds exist (START said so, or a link completed); false after LOGOUT/LOGIN. */
  linked: boolean;
  /** Failed connection attempts in a row (0 after a stable connection). */
  attempt: number;
  /** While backing-off: the chosen delay and when the next try happens. */
  retryDelayMs: number | null;
  nextRetryAt: number | null;
  lastClose: LastClose | null;
  /** While connected: when the connection opened. */
  connectedSince: number | null;
  /** When the first connection of this run opened (offline catch-up); null until one did. */
  firstConnectedAt: number | null;
  identity: LinkedIdentity | null;
  /** QR references seen during the current link attempt. */
  qrCount: number;
  /** The current link attempt is by pairing code for this E.164 number; null for QR. */
  linkPhone: string | null;
  /** Why the account stopped (logged-out, degraded, failed link or start); null when healthy. */
  error: ErrorInfo | null;
  policy: ReconnectPolicy;
  heartbeatSeconds: number;
}

/** Input of the connection actor the machine invokes while `online`. */
export interface ConnectionInput {
  accountId: string;
  mode: ConnectionMode;
  /** In `link` mode: ask for a pairing code for this E.164 number instead of showing QR codes. */
  phone?: string | null;
}

/** What the connection actor reports to the machine. */
export type ConnectionActorEvent =
  /** WhatsApp handed out a QR reference while linking. */
  | { type: 'QR'; qr: string }
  /** WhatsApp handed out the pairing code asked for (`login --phone`). */
  | { type: 'CODE'; code: string }
  /** The socket opened and is logged in. */
  | { type: 'OPEN'; identity: LinkedIdentity }
  /** The connection ended: WhatsApp's code, a local failure, or a stall. */
  | ({ type: 'CLOSE' } & ConnectionClose);

export type AccountMachineEvent =
  /**
   * Supervisor started the account, saying what it found on disk: saved creds
   * (`linked: true` connects), none (waits for LOGIN), or creds it could not read
   * (`error`: degraded with that error and its fix).
   */
  | { type: 'START'; linked: boolean }
  | { type: 'START'; error: ErrorInfo }
  /** User asked to link (`wagate channels login`; `phone`: by pairing code for that E.164 number). */
  | { type: 'LOGIN'; phone?: string }
  | ConnectionActorEvent
  /** User fixed what degraded the account; try again with attempts reset. */
  | { type: 'RECONNECT' }
  /** User unlinked the account (`wagate channels logout`). */
  | { type: 'LOGOUT' }
  /** Orderly shutdown. */
  | { type: 'STOP' };
