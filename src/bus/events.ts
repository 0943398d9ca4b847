/**
 * The bus event catalogue: every event on the bus, its payload, when it fires
 * and who consumes it. Names are dot-case, past tense; every payload carries
 * `accountId` (gateway-wide events carry `accountId: null`).
 *
 * Add an event here first, then emit it; nothing else declares bus events.
 */
import type { ErrorInfo } from '../errors.js';
import type { InboundMessage } from '../ports/inbound.js';
import type { AccountStateValue, CloseKind, LastClose, LinkedIdentity } from '../../machines/index.js';

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
    lastClose: LastClose | null;
    error: ErrorInfo | null;
    at: number;
  };
  /**
   * Fires: WhatsApp handed out a (new) QR reference while linking.
   * Consumers: supervisor (broadcast as the `login.qr` event to every control client).
   */
  'account.qr.updated': { accountId: string; qr: string; count: number; at: number };
  /**
   * Fires: a connection opened and the account is now usable (after the first link
   * too). Consumers: supervisor (`login.wait` completes), logs.
   */
  'account.connected': { accountId: string; identity: LinkedIdentity; at: number };
  /**
   * Fires: a connection ended, for any reason (the machine decides what follows):
   * WhatsApp's close `code`, or (`code: null`) a stall of our watchdog or a local
   * failure to open, which carries its `error` (code, message with the fix, cause).
   * Consumers: logs (`web-reconnect`), connection history.
   */
  'account.disconnected': {
    accountId: string;
    kind: CloseKind;
    code: number | null;
    reason: string;
    error: ErrorInfo | null;
    at: number;
  };
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
   * Fires: a chat message arrived on an account and was normalized (live or
   * offline catch-up). Consumers: access-policy (decides what happens next).
   */
  'message.received': { accountId: string; message: InboundMessage };
  /**
   * Fires: access policy accepted a message for the agent. Consumers: read-receipt,
   * ack-reaction (at once), agent-dispatch (asks the agent runner for a run),
   * agent-heartbeat (remembers the agent's last chat).
   */
  'message.accepted': { accountId: string; message: InboundMessage; route: MessageRoute };
  /**
   * Fires: a group message that does not activate the agent (no mention, etc.);
   * the access policy has kept it as context for the next activation.
   * Consumers: read-receipt.
   */
  'message.gated': { accountId: string; message: InboundMessage; reason: string };
  /**
   * Fires: a message that is handled no further (policy, duplicate, too old…).
   * `markRead` says whether read receipts still apply. Consumers: logs, read-receipt.
   */
  'message.dropped': { accountId: string; message: InboundMessage; reason: string; markRead: boolean };
  /**
   * Fires: an unknown sender wrote under dmPolicy "pairing". Consumers: pairing
   * (issues a code and asks for the reply).
   */
  'pairing.needed': { accountId: string; message: InboundMessage; sender: string };
  /**
   * Fires: a sender was approved (CLI or control). Consumers: access-policy (cache).
   */
  'pairing.approved': { accountId: null; channel: 'whatsapp'; sender: string; at: number };
  /**
   * Fires: something wants text (and/or media) delivered to a chat. Consumers:
   * reply-delivery (chunks, prefixes, sends, retries transient failures).
   */
  'reply.requested': {
    accountId: string;
    chatJid: string;
    text: string;
    /** Why: an agent reply, a pairing code, a command answer, a heartbeat, a CLI send. */
    source: 'agent' | 'pairing' | 'command' | 'heartbeat' | 'cli';
    /** Agent run / request id, echoed in reply.delivered|failed. */
    requestId: string;
    /** The chat is the owner's self-chat (reply-delivery adds the `[name]` prefix there). */
    selfChat?: boolean;
    /**
     * Media to send with the reply (an agent provider's `media`: local path or http(s)
     * URL, caption on the first item only, SPEC §7; `gifPlayback` for MP4). Emitted by
     * agent-dispatch and the control method `send`; consumed by reply-delivery.
     */
    media?: { path?: string; url?: string; caption?: string; gifPlayback?: boolean }[];
  };
  /**
   * Fires: every chunk of a reply was sent. Consumers: access-policy (remembers our
   * ids, clears the group's handed-out history), control (`send`).
   */
  'reply.delivered': { accountId: string; chatJid: string; requestId: string; messageIds: string[]; at: number };
  /** Fires: a reply could not be delivered. Consumers: agent-dispatch, control, logs. */
  'reply.failed': { accountId: string; chatJid: string; requestId: string; error: ErrorInfo; at: number };
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

/** Where an accepted message goes (SPEC §6). */
export interface MessageRoute {
  agentId: string;
  /** `agent:<agentId>:main`, `agent:<agentId>:whatsapp:group:<jid>`, … */
  sessionKey: string;
  /** The linked number was @mentioned, replied to, or a mention pattern matched. */
  wasMentioned: boolean;
  /** Group activation in force (`always` or `mention`); null in direct chats. */
  activation: 'always' | 'mention' | null;
  /** Group: gated messages since the last reply, oldest first (history injection). */
  history?: InboundMessage[];
}
