/**
 * The store port (SPEC §12, ARCHITECTURE "the store"): everything the gateway keeps,
 * except the config file and the log, behind one small async interface, so SQLite
 * (`sqlite.ts`, the default) and a later PostgreSQL implementation pass the same
 * contract tests (`test/store/contract.ts`).
 *
 * Rules every implementation keeps:
 * - Every method returns a Promise, even where the driver is synchronous.
 * - Every method is atomic on its own; `transaction(fn)` makes several all-or-nothing.
 *   Inside `fn`, use the handle it is given, never the outer store (that would wait
 *   for the transaction to end: the SQLite store refuses it with WAGATE_ERR_INTERNAL).
 * - Values the store does not interpret (Baileys creds and keys, sent messages) are
 *   opaque text: serializing them (BufferJSON, protobuf) is the caller's job, so this
 *   room never imports Baileys.
 * - Times are integers, ms since the epoch. Ids are strings. Nothing returned is shared
 *   with the store: callers may mutate results.
 * - A failure to read or write is WAGATE_ERR_STORE, never an empty answer.
 */

/** Schema history of the database: the highest applied migration and the one this build knows. */
export interface SchemaInfo {
  version: number;
  known: number;
}

/** `wagate doctor`: the database's own integrity check and the file's mode. */
export interface StoreCheck {
  ok: boolean;
  /** What is wrong, one line each; empty when ok. */
  problems: string[];
}

/** Baileys creds of one account, as opaque JSON text. */
export interface StoredCreds {
  /** The creds as last saved. */
  current: string;
  /** The creds saved before that (the `.bak` of the file layout), if any. */
  previous: string | null;
  updatedAt: number;
}

export interface CredsStore {
  /** The creds of `accountId`, or undefined when the account has none (never linked, or logged out). */
  load(accountId: string): Promise<StoredCreds | undefined>;
  /**
   * Save the creds (the current value becomes `previous`). Resolves once the write is
   * committed; it survives a process kill, and with `durable` (the default) a power cut.
   */
  save(accountId: string, json: string, opts?: { durable?: boolean }): Promise<void>;
  /** Remove the creds and every Signal key of the account (logout). */
  remove(accountId: string): Promise<void>;
  /** Accounts that have creds, sorted. */
  accounts(): Promise<string[]>;
}

/** One Signal key write; `value: null` deletes it. */
export interface KeyWrite {
  type: string;
  id: string;
  value: string | null;
}

export interface KeyStore {
  /** The stored values of `ids` (of one key type); absent ids are absent from the map. */
  get(accountId: string, type: string, ids: readonly string[]): Promise<Map<string, string>>;
  /** Apply every write in one transaction: all of them or none. */
  set(accountId: string, writes: readonly KeyWrite[]): Promise<void>;
  /** Remove every key of the account. */
  clear(accountId: string): Promise<void>;
  /** Keys per type for the account (for `debug dump`). */
  count(accountId: string): Promise<Record<string, number>>;
  /** Every key of one type of the account, id → value (small types only: it reads them all). */
  list(accountId: string, type: string): Promise<Map<string, string>>;
}

/**
 * Message keys handled before the inbound ledger existed: the old file layout's
 * `whatsapp-dedupe/<accountId>.json` is imported here once (`in|<chatId>|<id>`), and
 * the ledger still treats a message with such a key as a duplicate. Nothing new is
 * written here: the ledger (`LedgerStore`) is the dedupe memory now.
 */
export interface HandledStore {
  /** Record the key; true when it was new, false when it was already handled. */
  add(accountId: string, key: string, at: number): Promise<boolean>;
  /** Record several keys in one atomic write; returns how many were new. */
  addMany(accountId: string, keys: readonly string[], at: number): Promise<number>;
  has(accountId: string, key: string): Promise<boolean>;
  /** The newest `limit` keys of the account, oldest first (to warm an in-memory front). */
  recent(accountId: string, limit: number): Promise<string[]>;
  /** Keep only the newest `keep` keys of the account; returns how many were removed. */
  trim(accountId: string, keep: number): Promise<number>;
}

/** What became of an inbound message (SPEC §5 "the inbound ledger"). */
export type LedgerState = 'received' | 'accepted' | 'gated' | 'dropped' | 'pairing' | 'running' | 'replied' | 'failed';

export const LEDGER_STATES: readonly LedgerState[] = ['received', 'accepted', 'gated', 'dropped', 'pairing', 'running', 'replied', 'failed'];

/** States a message is finished in: nothing more will happen to it. */
export const FINAL_LEDGER_STATES: readonly LedgerState[] = ['gated', 'dropped', 'pairing', 'replied', 'failed'];

/** Same account + chat + WhatsApp id = same message. */
export interface LedgerKey {
  accountId: string;
  chatJid: string;
  messageId: string;
}

/** A message as it arrived: what `record` writes (state `received`). */
export interface LedgerArrival extends LedgerKey {
  /** The sender's JID (the peer in a direct chat, the participant in a group). */
  sender: string;
  /** WhatsApp's timestamp, ms (0 when absent). */
  waTimestamp: number;
  upsertType: 'notify' | 'append';
  /** The normalized message, opaque JSON text. */
  message: string;
  receivedAt: number;
}

export interface LedgerEntry extends LedgerArrival {
  /** Arrival order across the store. */
  seq: number;
  state: LedgerState;
  /** Why it was dropped or gated (`duplicate` is never written: a duplicate has no entry of its own). */
  reason: string | null;
  /** The agent run / reply request answering it (deterministic per entry). */
  requestId: string | null;
  /** The agent's answer, kept once produced: a resumed entry is not sent to the agent again. */
  replyText: string | null;
  /** The reply's WhatsApp ids, written before the first send. */
  replyIds: string[];
  /** Why it failed. */
  error: string | null;
  updatedAt: number;
}

/** Fields a state move may set; absent ones keep their value. */
export interface LedgerUpdate {
  state?: LedgerState;
  reason?: string | null;
  requestId?: string | null;
  replyText?: string | null;
  replyIds?: string[];
  error?: string | null;
  at: number;
}

export interface LedgerQuery {
  accountId?: string;
  chatJid?: string;
  states?: readonly LedgerState[];
  /** Received at or after (ms). */
  since?: number;
  /** At most this many, the newest (default 1000); returned oldest first. */
  limit?: number;
}

/** One write of a batch (`LedgerStore.apply`). */
export type LedgerWrite =
  | { op: 'record'; arrival: LedgerArrival }
  | { op: 'update'; key: LedgerKey; fields: LedgerUpdate }
  /** Update the entry a request id answers (none: nothing changes). */
  | { op: 'update-by-request'; accountId: string; requestId: string; fields: LedgerUpdate };

/** Per write: `changed` (record: the arrival was new; update: an entry was updated) and the entry's key when one was found. */
export interface LedgerWriteResult {
  changed: boolean;
  key: LedgerKey | null;
}

/**
 * `applied`: settle as soon as the writes ran, before they are committed (stores that
 * commit later, SQLite's group commit); `Store.committed()` waits for the commit. Without
 * it a write settles once committed.
 */
export interface ApplyOptions {
  applied?: boolean;
}

export interface LedgerStore {
  /**
   * Apply the writes in order (the ledger's group commit). The moves (`update`) of one
   * entry asked within one store transaction are written as one statement, their fields
   * merged in ask order (a later value wins; the last `state` asked is written): within
   * the call on every store, and across the calls of one group-commit transaction on
   * SQLite, where they are written just before its commit — or before a read of the
   * ledger, an arrival of that entry, a move by request id or a prune, which see them.
   * Without `applied` a write settles once committed. With `applied`, an arrival settles
   * when it ran (its result is exact), and a move at once when the store knows its
   * entry exists (else once it ran); a later failure of its statement makes
   * `Store.committed()` reject. A batch written at once (arrivals, moves by request id;
   * every batch on PostgreSQL) is all or nothing; SQLite's coalesced moves are one
   * statement per entry, and a failing one fails only its callers (all of them).
   */
  apply(writes: readonly LedgerWrite[], opts?: ApplyOptions): Promise<LedgerWriteResult[]>;
  /**
   * Optional (SQLite: a synchronous driver, writes applied in call order): one write,
   * settled as `apply([write], { applied })` settles it, but answered directly (a plain
   * value, no promise) when it could run at once; a promise when it must wait (a move
   * without `applied` waits for the commit; every write waits while `transaction(fn)`
   * holds the connection). Throws when it ran at once and failed. Calls keep their
   * order with `apply`'s. The inbound ledger's per-message path (issue 12 item 5).
   */
  applyNow?(write: LedgerWrite, applied: boolean): LedgerWriteResult | Promise<LedgerWriteResult>;
  /** Record arrivals (state `received`); per arrival, true when new, false when the key was already there (a duplicate). */
  record(arrivals: readonly LedgerArrival[]): Promise<boolean[]>;
  get(key: LedgerKey): Promise<LedgerEntry | undefined>;
  /** Apply a state move; false when there is no such entry. */
  update(key: LedgerKey, fields: LedgerUpdate): Promise<boolean>;
  /** The entry answered by a request id, if any. */
  byRequest(accountId: string, requestId: string): Promise<LedgerEntry | undefined>;
  /** Entries matching the query, oldest first (by arrival). */
  list(query?: LedgerQuery): Promise<LedgerEntry[]>;
  /** Entries per state (all accounts, or one); every state is present. */
  counts(accountId?: string): Promise<Record<LedgerState, number>>;
  /** Remove entries received before `before` (retention); returns how many. */
  prune(before: number): Promise<number>;
}

/** A message we sent, kept so a retry receipt can be answered after a restart. */
export interface SentMessage {
  id: string;
  chatJid: string;
  /** Opaque (the WhatsApp edge serializes the proto message). */
  message: string;
  at: number;
}

export interface SentStore {
  /** Record (or replace) a sent message and keep only the newest `keep` of the account. */
  put(accountId: string, msg: SentMessage, keep: number): Promise<void>;
  get(accountId: string, id: string): Promise<SentMessage | undefined>;
  count(accountId: string): Promise<number>;
}

/** LID ↔ phone number (E.164 without `+`, as WhatsApp's PN user part) of one account. */
export interface LidStore {
  /** Record that `lid` (user part) is `pn`; a later mapping for the same LID replaces it. */
  put(accountId: string, lid: string, pn: string, at: number): Promise<void>;
  pnForLid(accountId: string, lid: string): Promise<string | undefined>;
  lidForPn(accountId: string, pn: string): Promise<string | undefined>;
}

export interface PairingRequestRow {
  code: string;
  sender: string;
  accountId: string;
  name?: string;
  createdAt: number;
  expiresAt: number;
}

/** Pending pairing requests and approved senders (the allowFrom store), channel-wide. */
export interface PairingStorePort {
  /** Every request, expired or not, oldest first. */
  requests(): Promise<PairingRequestRow[]>;
  addRequest(req: PairingRequestRow): Promise<void>;
  /** Remove a request by code; true when it existed. */
  removeRequest(code: string): Promise<boolean>;
  /** Remove requests with `expiresAt <= now`; returns how many. */
  removeExpired(now: number): Promise<number>;
  /** Add an approved sender; true when new. */
  approve(sender: string, at: number): Promise<boolean>;
  /** Approved senders in approval order. */
  approved(): Promise<string[]>;
  isApproved(sender: string): Promise<boolean>;
}

export type ActivationMode = 'mention' | 'always';

export interface ActivationStorePort {
  get(accountId: string, groupJid: string): Promise<ActivationMode | undefined>;
  /** Set a group's activation; `null` removes it (back to the configured default). */
  set(accountId: string, groupJid: string, mode: ActivationMode | null, at: number): Promise<void>;
  /** Every stored activation of the account, by group JID. */
  all(accountId: string): Promise<Record<string, ActivationMode>>;
}

/** When an account was linked and last known connected (offline catch-up needs both). */
export interface ConnectionRecord {
  linkedAt: number | null;
  lastConnectedAt: number | null;
}

export interface ConnectionStore {
  get(accountId: string): Promise<ConnectionRecord | undefined>;
  /** Set the fields given; the others keep their value. */
  update(accountId: string, fields: Partial<ConnectionRecord>): Promise<void>;
  remove(accountId: string): Promise<void>;
}

export interface SessionTurn {
  role: 'user' | 'assistant';
  text: string;
  at: number;
  /** The rest of the turn (message id, chat, sender …), opaque JSON text or null. */
  meta: string | null;
}

export interface SessionSummary {
  key: string;
  turns: number;
  lastAt: number;
}

export interface SessionStorePort {
  append(sessionKey: string, turns: readonly SessionTurn[], opts?: ApplyOptions): Promise<void>;
  /**
   * Optional (SQLite: a synchronous driver, writes applied in call order): `append` with
   * `applied`, run at once — `true` once written (no promise), `false` when it cannot
   * run now (a `transaction(fn)` holds the connection): then use `append`. Throws when
   * it failed.
   */
  appendNow?(sessionKey: string, turns: readonly SessionTurn[]): boolean;
  /** The last `limit` turns (all when omitted), oldest first. */
  turns(sessionKey: string, limit?: number): Promise<SessionTurn[]>;
  /** Every session, most recently used first (`wagate sessions list`). */
  list(): Promise<SessionSummary[]>;
  /** Forget a session (`/new`, `/reset`). */
  clear(sessionKey: string): Promise<void>;
}

/**
 * The WhatsApp Web version last fetched from a URL (`web.versionUrl`, the `client_revision`
 * of WhatsApp Web's `sw.js`), with when it was fetched: the cache that spares a fetch at
 * every connect and stands in when a fetch fails (src/whatsapp/web-version.ts).
 */
export interface WebVersionRecord {
  /** The URL it was fetched from; a cache from another URL is not this one's. */
  url: string;
  /** `2.3000.N`, as text (the store does not interpret it). */
  version: string;
  fetchedAt: number;
}

export interface WebVersionStore {
  get(url: string): Promise<WebVersionRecord | undefined>;
  /** Record (or replace) the version fetched from `url`. */
  put(record: WebVersionRecord): Promise<void>;
}

/** What a transaction can touch: every sub-store, bound to the transaction. */
export interface StoreTables {
  readonly creds: CredsStore;
  readonly keys: KeyStore;
  readonly handled: HandledStore;
  readonly ledger: LedgerStore;
  readonly sent: SentStore;
  readonly lids: LidStore;
  readonly pairing: PairingStorePort;
  readonly activations: ActivationStorePort;
  readonly connections: ConnectionStore;
  readonly sessions: SessionStorePort;
  readonly webVersions: WebVersionStore;
}

export interface Store extends StoreTables {
  /** `sqlite` or (later) `postgres`. */
  readonly kind: string;
  /** Where it lives (a file path, or a URL without its password). */
  readonly location: string;
  /**
   * True when writes are applied in the order they were asked for, even while earlier
   * ones are not committed yet (SQLite: one connection, group commit per event-loop
   * turn). Callers that need order may then hand a write over without waiting for the
   * previous one to commit (the inbound ledger does); otherwise they must wait.
   */
  readonly writesInOrder?: boolean;
  /**
   * Run `fn` in one transaction: everything it writes through `tx` is committed when it
   * resolves and rolled back when it throws (the error is rethrown). Other calls wait.
   * `durable`: the commit survives a power cut (a durable write inside a transaction
   * opened without it is made durable too, at a higher cost).
   */
  transaction<T>(fn: (tx: StoreTables) => Promise<T>, opts?: { durable?: boolean }): Promise<T>;
  /**
   * Resolves when every write asked for so far is committed; rejects when that commit
   * failed. Only writes made with `applied` can be settled and not yet committed; a store
   * whose writes always settle on commit (PostgreSQL) resolves at once.
   */
  committed(): Promise<void>;
  schema(): Promise<SchemaInfo>;
  /** Integrity and file mode (`wagate doctor`). */
  check(): Promise<StoreCheck>;
  /** Rows per table (`wagate debug dump`). */
  counts(): Promise<Record<string, number>>;
  /** Finish pending work and close; later calls fail with WAGATE_ERR_STORE. */
  close(): Promise<void>;
}
