/**
 * The bus event catalogue: every event on the bus, its payload, when it fires
 * and who consumes it. Names are dot-case, past tense; every payload carries
 * `accountId` (gateway-wide events carry `accountId: null`).
 *
 * Add an event here first, then emit it; nothing else declares bus events.
 * Who emits and who handles each event is data (`BUS_CATALOGUE` below), and
 * test/bus/catalogue.test.ts scans src/ for `.emit('…')` / `.on('…')` calls and
 * fails when the two drift apart.
 */
import type { ErrorInfo } from '../errors.js';
import type { InboundMessage } from '../ports/inbound.js';
import type { AccountStateValue, CloseKind, LastClose, LinkedIdentity } from '../../machines/index.js';

/** The account machine's state names (see machines/account.types.ts). */
export type AccountStateName = AccountStateValue;

export interface BusEvents {
  /**
   * Fires: the account machine entered a new state (including the initial one).
   * The supervisor forwards it to control clients as the `account` event; reply
   * delivery holds replies while the account reconnects and sends them once connected.
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
   * Fires: WhatsApp handed out a (new) QR reference while linking. The supervisor
   * broadcasts it as the `login.qr` event to every control client.
   */
  'account.qr.updated': { accountId: string; qr: string; count: number; at: number };
  /**
   * Fires: WhatsApp handed out the pairing code asked for (`login --phone`), as
   * `ABCD-EFGH`. The supervisor broadcasts it as the `login.code` event.
   */
  'account.pairing.code': { accountId: string; code: string; phone: string | null; at: number };
  /**
   * Fires: a connection opened and the account is now usable (after the first link
   * too); `login.wait` completes on it.
   */
  'account.connected': { accountId: string; identity: LinkedIdentity; at: number };
  /**
   * Fires: a connection closed, for any reason (the machine decides what follows;
   * the `web-reconnect` log follows its state changes).
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
   * Fires: once per `web.heartbeatSeconds` for each connected account (beside its
   * `web-heartbeat` log line).
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
   * offline catch-up); the access policy decides what happens next.
   */
  'message.received': { accountId: string; message: InboundMessage };
  /**
   * Fires: a live message arrived but the transport holds it until the connection's
   * offline backlog is done (order per chat). Already acknowledged to WhatsApp, so the
   * access policy records it in the inbound ledger now (a kill during the hold leaves
   * it `received`, for the next start); it is handled when its `message.received` comes.
   */
  'message.held': { accountId: string; message: InboundMessage };
  /**
   * Fires: access policy accepted a message for the agent: read receipt and ack
   * reaction at once, then the agent runs.
   */
  'message.accepted': { accountId: string; message: InboundMessage; route: MessageRoute };
  /**
   * Fires: a group message that does not activate the agent (no mention, etc.);
   * kept as context for the next activation (the access policy's group history).
   */
  'message.gated': { accountId: string; message: InboundMessage; reason: string };
  /**
   * Fires: a message that is handled no further (policy, duplicate, too old…).
   * `markRead` says whether read receipts still apply.
   */
  'message.dropped': { accountId: string; message: InboundMessage; reason: string; markRead: boolean };
  /**
   * Fires: an unknown sender wrote under dmPolicy "pairing"; the pairing actor
   * issues a code and asks for the reply.
   */
  'pairing.needed': { accountId: string; message: InboundMessage; sender: string };
  /**
   * Fires: something wants text (and/or media) delivered to a chat; reply delivery
   * chunks, prefixes, sends and retries transient failures.
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
  /** Fires: every chunk of a reply was sent. */
  'reply.delivered': { accountId: string; chatJid: string; requestId: string; messageIds: string[]; at: number };
  /**
   * Fires: a reply could not be delivered (logged by reply delivery). Final except
   * `WAGATE_ERR_STOPPING`: the gateway stopped first, the reply is unfinished.
   */
  'reply.failed': { accountId: string; chatJid: string; requestId: string; error: ErrorInfo; at: number };
  /**
   * Fires: an agent run ended (ok: the provider answered and its reply, if any, is
   * about to be requested; error: nothing is sent). `durationMs` runs from its turn
   * in the session queue to here; `messageId` is the inbound message a `message`
   * run answers (null for heartbeat and control runs). Handled by the metrics.
   */
  'agent.run.finished': {
    accountId: string;
    runId: string;
    origin: 'message' | 'control' | 'heartbeat';
    status: 'ok' | 'error';
    durationMs: number;
    messageId: string | null;
    at: number;
  };
  /**
   * Fires: the gateway finished starting (all actors up, control server listening).
   * Handled by no module of src/ (tests wait on it).
   */
  'gateway.started': { accountId: null; port: number; at: number };
  /**
   * Fires: shutdown began (signal or `stop()`); actors with work in flight stop
   * taking more.
   */
  'gateway.stopping': { accountId: null; reason: string; at: number };
  /**
   * Fires (cluster nodes only, src/cluster): this node took the account's lease (fencing
   * `token`), just before the account starts here — at the node's start, or later when
   * the account was free, expired (its owner died) or handed over. The access policy
   * resumes the account's unfinished ledger entries then (src/ledger/resume.ts).
   */
  'account.lease.taken': { accountId: string; token: number; at: number };
  /**
   * Fires (cluster nodes only): the account stops on this node because its lease is lost
   * (another node took it, it ran out) or given back. Resumed entries still waiting for
   * the account's connection are left unfinished here, for the new owner.
   */
  'account.lease.ended': { accountId: string; reason: string; at: number };
}

export type BusEventName = keyof BusEvents;

/** Who emits an event and who handles it: modules under src/, without `.ts`. */
export interface BusEventContract {
  producers: readonly string[];
  consumers: readonly string[];
}

/**
 * The catalogue as data. A module is listed when it calls `bus.emit(name, …)` /
 * `bus.on(name, …)` itself; test/bus/catalogue.test.ts holds this table to the code.
 */
export const BUS_CATALOGUE: { readonly [K in BusEventName]: BusEventContract } = {
  'account.state.changed': {
    producers: ['gateway/account-runtime'],
    consumers: ['actors/reply-delivery', 'actors/web-reconnect', 'gateway/cluster-dispatch', 'gateway/connection-history', 'gateway/login', 'gateway/metrics', 'gateway/supervisor'],
  },
  'account.qr.updated': { producers: ['gateway/account-runtime'], consumers: ['gateway/cluster-dispatch', 'gateway/login', 'gateway/supervisor'] },
  'account.pairing.code': { producers: ['gateway/account-runtime'], consumers: ['gateway/cluster-dispatch', 'gateway/login', 'gateway/supervisor'] },
  'account.connected': {
    producers: ['gateway/account-runtime'],
    consumers: ['actors/access-policy', 'actors/pairing', 'gateway/connection-history', 'gateway/login', 'gateway/metrics'],
  },
  'account.disconnected': { producers: ['gateway/account-runtime'], consumers: ['gateway/connection-history', 'gateway/metrics'] },
  'account.heartbeat': { producers: ['actors/web-heartbeat'], consumers: ['gateway/connection-history'] },
  'message.received': {
    producers: ['gateway/connection-actor'],
    consumers: ['actors/access-policy', 'actors/web-heartbeat', 'gateway/metrics', 'gateway/supervisor'],
  },
  'message.held': { producers: ['gateway/connection-actor'], consumers: ['actors/access-policy'] },
  'message.accepted': {
    producers: ['actors/access-policy'],
    consumers: ['actors/ack-reaction', 'actors/agent-dispatch', 'actors/agent-heartbeat', 'actors/inbound-ledger', 'actors/read-receipt', 'gateway/metrics'],
  },
  'message.gated': { producers: ['actors/access-policy'], consumers: ['actors/inbound-ledger', 'actors/read-receipt', 'gateway/metrics'] },
  'message.dropped': { producers: ['actors/access-policy'], consumers: ['actors/inbound-ledger', 'actors/read-receipt', 'gateway/metrics'] },
  'pairing.needed': { producers: ['actors/access-policy'], consumers: ['actors/inbound-ledger', 'actors/pairing', 'gateway/metrics'] },
  'reply.requested': {
    producers: ['actors/access-policy', 'actors/pairing', 'agents/runner', 'gateway/conversation'],
    consumers: ['actors/reply-delivery', 'gateway/metrics'],
  },
  'reply.delivered': {
    producers: ['actors/reply-delivery'],
    consumers: ['actors/access-policy', 'actors/inbound-ledger', 'gateway/conversation', 'gateway/metrics'],
  },
  'reply.failed': { producers: ['actors/reply-delivery'], consumers: ['actors/inbound-ledger', 'gateway/conversation', 'gateway/metrics'] },
  'agent.run.finished': { producers: ['agents/runner'], consumers: ['actors/inbound-ledger', 'gateway/metrics'] },
  'gateway.started': { producers: ['gateway/supervisor'], consumers: [] },
  'gateway.stopping': {
    producers: ['gateway/supervisor'],
    consumers: ['actors/access-policy', 'actors/agent-dispatch', 'actors/agent-heartbeat', 'actors/inbound-ledger'],
  },
  'account.lease.taken': { producers: ['gateway/supervisor'], consumers: ['actors/access-policy'] },
  'account.lease.ended': { producers: ['gateway/supervisor'], consumers: ['actors/access-policy'] },
};

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
