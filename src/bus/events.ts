/**
 * The bus event catalogue: every event on the bus, its payload, when it fires
 * and who consumes it. Names are dot-case, past tense; every payload carries
 * `accountId` (gateway-wide events carry `accountId: null`).
 *
 * Add an event here first, then emit it; nothing else declares bus events.
 */
import type { ErrorInfo } from '../errors.js';
import type { LinkedIdentity } from '../ports/transport.js';
import type { AccountStateValue } from '../../machines/index.js';

/** The account machine's state names (see machines/account.types.ts). */
export type AccountStateName = AccountStateValue;

export interface BusEvents {
  /**
   * Fires: the account machine entered a new state (including the initial one).
   * Consumers: control server (`account` event to clients), supervisor (status),
   * debug dump history.
   */
  'account.state.changed': {
    accountId: string;
    from: AccountStateName | null;
    to: AccountStateName;
    attempt: number;
    nextRetryAt: number | null;
    lastClose: { code: number; reason: string; at: number } | null;
    error: ErrorInfo | null;
    at: number;
  };
  /**
   * Fires: WhatsApp handed out a (new) QR reference while linking.
   * Consumers: control server (`login.qr` event to the login client).
   */
  'account.qr.updated': { accountId: string; qr: string; count: number; at: number };
  /**
   * Fires: a connection opened and the account is now usable (after the first link
   * too). Consumers: supervisor (`login.wait` completes), logs.
   */
  'account.connected': { accountId: string; identity: LinkedIdentity; at: number };
  /**
   * Fires: a connection closed, for any reason (the machine decides what follows).
   * Consumers: logs (`web-reconnect`), status.
   */
  'account.disconnected': { accountId: string; code: number; reason: string; at: number };
  /**
   * Fires: once per `web.heartbeatSeconds` for each connected account.
   * Consumers: logs (`web-heartbeat`), health snapshot.
   */
  'account.heartbeat': {
    accountId: string;
    uptimeMs: number;
    attempt: number;
    messagesHandled: number;
    lastMessageAt: number | null;
    at: number;
  };
  /**
   * Fires: the gateway finished starting (all actors up, control server listening).
   * Consumers: tests, the sandbox.
   */
  'gateway.started': { accountId: null; port: number; at: number };
  /**
   * Fires: shutdown began (signal or `stop()`); actors should stop taking work.
   * Consumers: every actor.
   */
  'gateway.stopping': { accountId: null; reason: string; at: number };
}

export type BusEventName = keyof BusEvents;
