/**
 * The control methods as one typed contract (SPEC §10), shared by the server
 * (the method modules register a handler for each name here) and the CLI's
 * client (`ControlClient.request`): each method's params schema, its one-line
 * description and its result type. A typo in a method name or a param, or a
 * handler answering the wrong shape, is a compile error on either side; the
 * README's protocol table is tested against this table.
 */
import { z } from 'zod';
import type { LastClose, MachineGraph } from '../../machines/index.js';
import type { PairingRequestRow } from '../store/port.js';
import type { AgentRunParams } from '../agents/control-run.js';
import type { ReactResult } from '../agents/tools.js';
import { ReactParams } from '../agents/tools.js';
import type { ClusterView } from '../cluster/nodes-view.js';
import type { ErrorInfo } from '../errors.js';
import type { LinkedIdentity, WebVersionInUse } from '../ports/transport.js';
import type { Transition } from './account-runtime.js';
import type { ActorRegistry } from './actor-registry.js';
import type { LoginStart } from './login.js';
import { E164_PATTERN } from '../whatsapp/address.js';
import type { LedgerAudit, LedgerEntryView } from '../ledger/audit.js';
import { LEDGER_STATES, type LedgerState } from '../store/port.js';

/** What a method table entry holds at runtime. */
export interface MethodSpec {
  /** One line for `wagate` help and the README's protocol table. */
  description: string;
  params: z.ZodType;
}
export type MethodTable = Record<string, MethodSpec>;

const optionalAccount = z.object({ accountId: z.string().min(1).optional() });
const requiredAccount = z.object({ accountId: z.string().min(1) });

export const CONTROL_METHODS = {
  status: {
    description: 'Per-account status (enabled, state, linked, connected, last close, error) and gateway health.',
    params: optionalAccount.extend({ probe: z.boolean().optional() }),
  },
  'debug.dump': {
    description:
      "Each account machine's state, context and last 50 transitions, each actor's summary, and the store (location, size, rows per table, inbound ledger entries per state).",
    params: optionalAccount,
  },
  'login.start': {
    description:
      'Start linking an account by QR (every client then gets its `login.qr` events), or with `phone` (E.164) by pairing code (a `login.code` event).',
    params: requiredAccount.extend({
      phone: z
        .string()
        .refine((p) => E164_PATTERN.test(p), { message: 'phone must be an E.164 number like +15551234567' })
        .optional(),
    }),
  },
  'login.wait': {
    description: 'Wait until the account linked by `login.start` is connected; answers its identity.',
    params: requiredAccount.extend({ timeoutMs: z.number().int().positive().max(30 * 60_000).optional() }),
  },
  logout: {
    description: 'Unlink an account: close its connection and delete its WhatsApp auth state.',
    params: requiredAccount,
  },
  send: {
    description:
      'Send text and/or media (local paths or http(s) URLs, caption on the first item) through an account; answers the message ids.',
    params: z
      .object({
        to: z.string().min(1),
        text: z.string().max(100_000).optional(),
        accountId: z.string().min(1).optional(),
        media: z
          .array(z.union([z.object({ path: z.string().min(1) }).strict(), z.object({ url: z.string().url() }).strict()]))
          .max(20)
          .optional(),
        /** MP4 items loop like GIFs. */
        gifPlayback: z.boolean().optional(),
      })
      .refine((p) => Boolean(p.text?.trim()) || (p.media?.length ?? 0) > 0, { message: 'give text, media, or both' }),
  },
  react: {
    description: 'React to a message (the agent tool `whatsapp` action `react`); an empty emoji or remove:true removes the reaction.',
    params: ReactParams,
  },
  'account.reconnect': {
    description: 'Connect a degraded account again with its saved creds (after fixing the cause); refused in other states.',
    params: requiredAccount,
  },
  'account.graph': {
    description: "The account machine's states and transitions, read from its definition (the control page draws it).",
    params: z.object({}),
  },
  'pairing.list': {
    description: 'Pending pairing requests (unexpired), oldest first.',
    params: z.object({}),
  },
  'pairing.approve': {
    description: "Approve a pairing request by its code (any case): the sender's next message goes to the assistant.",
    params: z.object({ code: z.string().min(1).max(64) }),
  },
  'pairing.reject': {
    description: 'Drop a pending pairing request by its code; the sender is not approved (writing again asks for a new code).',
    params: z.object({ code: z.string().min(1).max(64) }),
  },
  'logs.tail': {
    description:
      'The last log lines kept in memory (level, subsystem and account filters); with follow:true, each new matching line follows as a `log` event.',
    params: z.object({
      subsystem: z.string().max(64).optional(),
      accountId: z.string().max(128).optional(),
      /** The lowest level shown: trace, debug, info, warn, error, fatal. */
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).optional(),
      limit: z.number().int().positive().max(500).optional(),
      follow: z.boolean().optional(),
    }),
  },
  'config.get': {
    description: 'The config file as it reads now, secrets redacted; a config error answers the same one line as the CLI.',
    params: z.object({}),
  },
  'cluster.nodes': {
    description: 'Several nodes: every node (live or not, last heartbeat, capacity) with the accounts it holds (lease token, expiry), and the accounts no node holds; cluster null on a single node.',
    params: z.object({}),
  },
  'dashboard.link': {
    description: 'A one-time sign-in link for the control page (`wagate dashboard`): its code works once, for 60 seconds.',
    params: z.object({}),
  },
  agent: {
    description: 'Run the agent on a message: answers {runId, status:"accepted"}, streams `agent` events, ends with {runId, status, summary}.',
    params: z.object({
      message: z.string().min(1).max(100_000),
      accountId: z.string().min(1).optional(),
      agentId: z.string().min(1).optional(),
      to: z.string().min(1).optional(),
    }) satisfies z.ZodType<AgentRunParams>,
  },
  'messages.list': {
    description:
      'Inbound ledger entries (newest `limit`, default 200, oldest first): account, chat, sender, text, state, reason, request and reply ids; filters by account, chat (JID or E.164), state, received since (ms).',
    params: z.object({
      account: z.string().min(1).optional(),
      chat: z.string().min(1).optional(),
      state: z.enum(LEDGER_STATES as [LedgerState, ...LedgerState[]]).optional(),
      since: z.number().int().nonnegative().optional(),
      limit: z.number().int().positive().max(10_000).optional(),
    }),
  },
  'messages.audit': {
    description: 'Inbound ledger entries per state, and every entry that is not finished and not held by the gateway (0 on a healthy gateway).',
    params: z.object({}),
  },
} as const satisfies MethodTable;

export type ControlMethodTable = typeof CONTROL_METHODS;
export type ControlMethod = keyof ControlMethodTable;

/** Gateway health, as `status` and the hello snapshot give it. */
export interface GatewayHealth {
  ok: boolean;
  uptimeMs: number;
  accounts: number;
  connected: number;
}

/** One account in the `status` answer (also `wagate channels status --offline`). */
export interface AccountStatus {
  accountId: string;
  name: string;
  enabled: boolean;
  running: boolean;
  state: string;
  linked: boolean;
  connected: boolean;
  identity: { jid: string; e164: string | null } | null;
  attempt: number;
  nextRetryAt: number | null;
  lastClose: LastClose | null;
  /** Why the account stopped: stable code, message with the fix, and the underlying cause. */
  error: ErrorInfo | null;
  dmPolicy: string;
  /**
   * The WhatsApp Web version the account's latest connection announced and where it came
   * from (`config | fetched | cache | bundled`); without a gateway, what the next connect
   * starts from (config, else the cached one, else the bundled one). Null when unknown.
   */
  webVersion: WebVersionInUse | null;
  /**
   * Several nodes (`cluster`): the account's lease — the node that owns it (null: free),
   * its fencing token, when it expires, and whether this node (the one answering) runs it.
   * Absent on a single node.
   */
  lease?: { owner: string | null; token: number; expiresAt: number; here: boolean };
  /** With `probe`: a live round trip to WhatsApp (connected accounts only). */
  probe?: { ok: true; ms: number } | { ok: false; error: string };
}

/** One lease in the `debug.dump` answer (several nodes). */
export interface LeaseView {
  accountId: string;
  owner: string | null;
  token: number;
  expiresAt: number;
  here: boolean;
}

/** One account in the `debug.dump` answer. */
export interface AccountDump {
  accountId: string;
  state: string;
  context: unknown;
  transitions: Transition[];
}

/** The store in `debug.dump`: where it is, how big (the file and its WAL), rows per table. */
export interface StoreDump {
  kind: string;
  location: string;
  /** Bytes on disk (database file plus write-ahead log); null when not a file. */
  sizeBytes: number | null;
  counts: Record<string, number>;
  /** Inbound ledger entries per state. */
  ledger: Record<LedgerState, number>;
}

/** Each method's answer (the `payload` of its `res` frame). */
export interface ControlResults {
  status: { health: GatewayHealth; accounts: AccountStatus[] };
  'debug.dump': {
    at: number;
    uptimeMs: number;
    accounts: AccountDump[];
    actors: ReturnType<ActorRegistry['summaries']>;
    methods: string[];
    store: StoreDump;
    /** Several nodes: this node's id and every account's lease (owner, token, expiry); null on a single node. */
    cluster: {
      nodeId: string;
      leases: LeaseView[];
      /** Every node with a heartbeat row: live (heartbeat younger than the lease), last heartbeat, capacity, accounts held. */
      nodes: { nodeId: string; live: boolean; seenAt: number; capacity: number; accounts: number }[];
    } | null;
  };
  'login.start': LoginStart;
  'login.wait': { accountId: string; identity: LinkedIdentity };
  logout: { accountId: string; removed: string[] };
  send: { accountId: string; to: string; messageIds: string[] };
  react: ReactResult;
  agent: { runId: string; status: 'accepted' };
  'messages.list': { entries: LedgerEntryView[] };
  'messages.audit': LedgerAudit;
  'account.reconnect': { accountId: string; state: string };
  'account.graph': MachineGraph;
  'pairing.list': { requests: PairingRequestRow[] };
  'pairing.approve': { sender: string; accountId: string; code: string };
  'pairing.reject': { sender: string; accountId: string; code: string };
  'logs.tail': { available: boolean; lines: string[] };
  'config.get': { path: string; exists: boolean; config: unknown; error: ErrorInfo | null };
  'cluster.nodes': { cluster: ClusterView | null };
  'dashboard.link': { url: string; expiresAt: number };
}

/** What the caller sends (defaults still absent). */
export type ControlParams<M extends ControlMethod> = z.input<ControlMethodTable[M]['params']>;

// Every method has a result type and every result type a method.
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
const resultsCoverMethods: SameKeys<ControlMethodTable, ControlResults> = true;
void resultsCoverMethods;
