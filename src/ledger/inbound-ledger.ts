/**
 * The inbound ledger (SPEC §5, issue 13): every inbound message is recorded in the
 * store when it arrives, and each step that decides its fate moves its entry —
 * `received → accepted | gated | dropped(reason) | pairing → running → replied | failed`.
 * Dedupe is the ledger: a second arrival of the same account + chat + WhatsApp id is a
 * duplicate. A crash leaves an entry unfinished; the next start resumes it
 * (src/ledger/resume.ts).
 *
 * Group commit: the writes asked for in one turn of the event loop (arrivals and state
 * moves, in the order asked) go to the store in one call (`store.ledger.apply`) once the
 * current run and the microtasks queued before have finished; the store commits them
 * with everything else written in that turn (SQLite: one transaction per turn). A
 * caller's promise settles when its write ran (an arrival then knows whether it is
 * new), not when it is committed: handling a message goes on in memory meanwhile, and
 * nothing it does is seen outside the process before the commit, because the one
 * thing that is — a reply sent to WhatsApp — first writes its message ids with
 * `durable`, which settles only once committed, and a commit includes every write
 * asked for before it. So a message is not held a turn for its record, and a burst
 * costs one commit per turn, not one per message. Writes are ordered: a move asked
 * after an arrival is applied after it. `flush()` waits for the commit. The store
 * coalesces an entry's moves asked within one of its transactions into one statement,
 * written just before the commit (issue 12 item 5; src/store/sqlite-inbound-ledger.ts).
 *
 * On a store with `ledger.applyNow` (SQLite: a synchronous driver that applies writes in
 * call order) there is no batch: each write is handed to the store when asked — what the
 * batch did a microtask later, in the same order and the same transaction — and its
 * result comes back directly (an arrival's verdict is exact; a plain move of a known
 * entry is settled at once, coalesced until the commit; a durable move settles after its
 * commit). `post` moves without any promise for callers that do not wait. Listeners
 * still hear of the changes in ask order, at the end of the current run.
 *
 * Our own messages (self-chat loop protection) are recognized by id: the ids of replies
 * delivered in this process (in memory, bounded) and every message the transport kept
 * in `store.sent`. Keys handled before the ledger existed (the old dedupe files,
 * imported into `store.handled`) still count as handled.
 */
import crypto from 'node:crypto';
import type { InboundMessage } from '../ports/inbound.js';
import {
  FINAL_LEDGER_STATES,
  type LedgerEntry,
  type LedgerKey,
  type LedgerQuery,
  type LedgerState,
  type LedgerUpdate,
  type LedgerWrite,
  type LedgerWriteResult,
  type Store,
} from '../store/port.js';
import { inboundKey } from '../access/policy/dedupe-store.js';
import { ledgerUpdateOf } from '../store/ledger-rows.js';

/** What an arrival turned out to be. */
export type ArrivalVerdict = 'new' | 'duplicate' | 'own-message' | 'handled-before-ledger';

/** How many of our own sent ids are remembered in memory (the store's `sent` keeps more). */
export const OWN_IDS_LIMIT = 5000;

/** The request id of the agent run (and reply) answering a ledger entry: the same on every resume. */
export function ledgerRequestId(key: LedgerKey): string {
  return `in-${sha256Hex(`${key.accountId}\u0000${key.chatJid}\u0000${key.messageId}`).slice(0, 24)}`;
}

/** SHA-256 in hex: Node's one-shot `crypto.hash` (20.12+, no Hash object per call), else createHash (same output). */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
export const sha256Hex = oneShot
  ? (text: string): string => oneShot('sha256', text, 'hex')
  : (text: string): string => crypto.createHash('sha256').update(text).digest('hex');

/** Whether `requestId` has the shape of `ledgerRequestId` (any other answers no entry). */
export function isLedgerRequestId(requestId: string): boolean {
  return /^in-[0-9a-f]{24}$/.test(requestId);
}

/** How many request ids → entries are remembered (entries still being answered; older ones are looked up in the store). */
const REQUESTS_LIMIT = 10_000;

function requestKey(accountId: string, requestId: string): string {
  return `${accountId}\u0000${requestId}`;
}

function keyString(k: LedgerKey): string {
  return `${k.accountId}\u0000${k.chatJid}\u0000${k.messageId}`;
}

export function keyOf(accountId: string, message: Pick<InboundMessage, 'chatJid' | 'id'>): LedgerKey {
  return { accountId, chatJid: message.chatJid, messageId: message.id };
}

interface Pending {
  write: LedgerWrite;
  /** Settle only once committed (else once applied). */
  durable: boolean;
  resolve(r: LedgerWriteResult): void;
  reject(err: unknown): void;
}

export interface MoveOptions {
  /** Resolve only once the move is committed (before a reply goes out to WhatsApp). */
  durable?: boolean;
}

export interface InboundLedgerOptions {
  now?: () => number;
}

/** A committed change (listeners of `onCommit`): an arrival recorded, or an entry moved. */
export interface LedgerChange {
  key: LedgerKey;
  /** The state it moved to; `received` for an arrival. */
  state: LedgerState;
  /** The reason written with the move (dropped, gated, replied `no-reply`), else null. */
  reason: string | null;
}

export class InboundLedger {
  private queued: Pending[] = [];
  private scheduled = false;
  private writing: Promise<void> = Promise.resolve();
  /** The last batch part whose changes were told to the listeners (see applyPart). */
  private told: Promise<void> = Promise.resolve();
  private readonly own = new Map<string, Set<string>>();
  /** Entries by the request id that answers them (set with `running`), until they are final. */
  private readonly requests = new Map<string, LedgerKey>();
  private readonly now: () => number;
  private commits = 0;
  private failures = 0;
  /** Entries this process is handling (or holding for a reconnect), by key: what `audit` explains. */
  private readonly open = new Map<string, { key: LedgerKey; note: string }>();
  private readonly listeners = new Set<(changes: readonly LedgerChange[]) => void>();
  /** Keys recorded by `arriveHeld` whose `arrive` has not come yet. */
  private readonly early = new Set<string>();
  /** The store's one-write path (see the class comment), when it has one. */
  private readonly direct: ((write: LedgerWrite, applied: boolean) => LedgerWriteResult | Promise<LedgerWriteResult>) | undefined;
  /** A direct write was applied in the current run (counted as one commit; see endRun). */
  private inRun = false;
  /** Changes of direct writes not told yet (told at the end of the run). */
  private untold: LedgerChange[] = [];
  /** Set while a direct write's change waits for its promise: later changes are told after it. */
  private telling: Promise<void> | undefined;
  /** Request ids of entries finished in the current run, forgotten at its end. */
  private forgotten: string[] = [];

  constructor(
    private readonly store: Store,
    opts: InboundLedgerOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    const ledger = store.ledger;
    this.direct = store.writesInOrder === true && ledger.applyNow ? (w, applied) => ledger.applyNow!(w, applied) : undefined;
  }

  /**
   * Record a live message the transport holds back for order (`message.held`), before
   * its `arrive`: a kill meanwhile leaves it `received`, for the next start. Its
   * `arrive` later in this process is its first arrival (`new`, unless it is our own),
   * not a duplicate. Resolves with whether it was recorded now (false: known already).
   */
  async arriveHeld(accountId: string, message: InboundMessage): Promise<boolean> {
    const done = this.write(this.recordOf(accountId, message), false);
    const { changed } = done instanceof Promise ? await done : done;
    if (changed) {
      const key = keyOf(accountId, message);
      const k = keyString(key);
      this.early.add(k);
      this.open.set(k, { key, note: 'held until its connection\'s offline backlog is handled (order per chat)' });
    }
    return changed;
  }

  /** Record a message as it arrives; resolves once the record is applied (see the class comment). */
  async arrive(accountId: string, message: InboundMessage): Promise<ArrivalVerdict> {
    const own = this.own.get(accountId)?.has(message.id) === true;
    const done = this.write(this.recordOf(accountId, message), false);
    const { changed } = done instanceof Promise ? await done : done;
    const key = keyOf(accountId, message);
    const k = keyString(key);
    // Recorded while held (arriveHeld): this is its first arrival, not a duplicate.
    if (!changed && (this.early.size === 0 || !this.early.delete(k))) return 'duplicate';
    this.open.set(k, { key, note: 'being handled' });
    if (own) return 'own-message';
    // Only a message from us (fromMe, the self-chat) can be one we sent: a contact's is not
    // looked up among our sent messages.
    if ((message.fromMe || message.isSelfChat === true) && (await this.store.sent.get(accountId, message.id)) !== undefined) return 'own-message';
    if (await this.store.handled.has(accountId, inboundKey(message.chatId, message.id))) return 'handled-before-ledger';
    return 'new';
  }

  private recordOf(accountId: string, message: InboundMessage): LedgerWrite {
    return {
      op: 'record',
      arrival: {
        accountId,
        chatJid: message.chatJid,
        messageId: message.id,
        sender: message.from.jid,
        waTimestamp: message.timestamp,
        upsertType: message.upsertType,
        message: JSON.stringify(message),
        receivedAt: this.now(),
      },
    };
  }

  /**
   * Move an entry (fields not given keep their value); resolves once applied, or once
   * committed with `durable` (see the class comment).
   */
  move(key: LedgerKey, fields: Omit<LedgerUpdate, 'at'>, opts: MoveOptions = {}): Promise<boolean> {
    try {
      const r = this.moveNow(key, fields, opts.durable === true);
      return r instanceof Promise ? r : Promise.resolve(r);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * `move` for a caller that does not wait (a plain move): no promise when the store
   * answers at once; a failure goes to `onError` (never thrown).
   */
  post(key: LedgerKey, fields: Omit<LedgerUpdate, 'at'>, onError: (err: unknown) => void): void {
    try {
      const r = this.moveNow(key, fields, false);
      if (r instanceof Promise) r.catch(onError);
    } catch (err) {
      onError(err);
    }
  }

  /** A move: its result directly when the store answered at once, else a promise; throws when it failed at once. */
  private moveNow(key: LedgerKey, fields: Omit<LedgerUpdate, 'at'>, durable: boolean): boolean | Promise<boolean> {
    if (fields.requestId) this.rememberRequest(key.accountId, fields.requestId, key);
    const done = this.write({ op: 'update', key, fields: ledgerUpdateOf(fields, this.now()) }, durable);
    const final = fields.state !== undefined && FINAL_LEDGER_STATES.includes(fields.state);
    if (!(done instanceof Promise)) {
      if (final) this.closeEntry(key);
      return done.changed;
    }
    return done.then((r) => {
      if (final) this.closeEntry(key);
      return r.changed;
    });
  }

  /** The entry reached a final state: not held any more, its request id forgotten. */
  private closeEntry(key: LedgerKey): void {
    this.markClosed(key);
    if (this.requests.size > 0) this.forgetRequest(requestKey(key.accountId, ledgerRequestId(key)));
  }

  /**
   * A finished entry's request id is forgotten once its move settled: on the direct path
   * at the end of the run (a move by that request id asked later in the run still finds
   * its entry in memory, as when the batch settled later).
   */
  private forgetRequest(rk: string): void {
    if (this.direct && this.inRun) this.forgotten.push(rk);
    else this.requests.delete(rk);
  }

  /** Move the entry a request id answers, if there is one (replies to other requests are no entry's). */
  moveByRequest(accountId: string, requestId: string, fields: Omit<LedgerUpdate, 'at'>, opts: MoveOptions = {}): Promise<boolean> {
    try {
      const r = this.moveByRequestNow(accountId, requestId, fields, opts.durable === true);
      return r instanceof Promise ? r : Promise.resolve(r);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** `moveByRequest` for a caller that does not wait (see `post`). */
  postByRequest(accountId: string, requestId: string, fields: Omit<LedgerUpdate, 'at'>, onError: (err: unknown) => void): void {
    try {
      const r = this.moveByRequestNow(accountId, requestId, fields, false);
      if (r instanceof Promise) r.catch(onError);
    } catch (err) {
      onError(err);
    }
  }

  private moveByRequestNow(accountId: string, requestId: string, fields: Omit<LedgerUpdate, 'at'>, durable: boolean): boolean | Promise<boolean> {
    // The entry this process moved to `running` under that request id is known: no lookup in the store.
    const rk = requestKey(accountId, requestId);
    const known = this.requests.get(rk);
    // A reply that answers no ledger entry (a heartbeat, a `send`, a pairing code): no
    // lookup in the store, which has no index by request id (migration 5).
    // Durable still means: settles once everything asked before is committed.
    if (!known && !isLedgerRequestId(requestId)) {
      if (!durable) return false;
      return this.handedOver()
        .then(() => this.store.committed())
        .then(() => false);
    }
    const at = this.now();
    const done = this.write(
      known ? { op: 'update', key: known, fields: ledgerUpdateOf(fields, at) } : { op: 'update-by-request', accountId, requestId, fields: ledgerUpdateOf(fields, at) },
      durable,
    );
    const final = fields.state !== undefined && FINAL_LEDGER_STATES.includes(fields.state);
    const settle = (r: LedgerWriteResult): boolean => {
      if (final && r.key) {
        this.markClosed(r.key);
        this.forgetRequest(rk);
      }
      return r.changed;
    };
    return done instanceof Promise ? done.then(settle) : settle(done);
  }

  private rememberRequest(accountId: string, requestId: string, key: LedgerKey): void {
    this.requests.set(requestKey(accountId, requestId), key);
    if (this.requests.size > REQUESTS_LIMIT) this.requests.delete(this.requests.keys().next().value as string);
  }

  /** This process holds the entry (handling it, or waiting to): `note` says why, for the audit. */
  markOpen(key: LedgerKey, note: string): void {
    this.open.set(keyString(key), { key, note });
  }

  markClosed(key: LedgerKey): void {
    this.open.delete(keyString(key));
  }

  /** Why this process holds the entry, or undefined when it does not. */
  openNote(key: LedgerKey): string | undefined {
    return this.open.get(keyString(key))?.note;
  }

  /** Remember ids we sent (their echo is not a prompt). */
  rememberSent(accountId: string, ids: readonly string[]): void {
    let set = this.own.get(accountId);
    if (!set) this.own.set(accountId, (set = new Set()));
    for (const id of ids) set.add(id);
    while (set.size > OWN_IDS_LIMIT) set.delete(set.values().next().value as string);
  }

  get(key: LedgerKey): Promise<LedgerEntry | undefined> {
    return this.store.ledger.get(key);
  }

  list(query?: LedgerQuery): Promise<LedgerEntry[]> {
    return this.store.ledger.list(query);
  }

  counts(accountId?: string): Promise<Record<LedgerState, number>> {
    return this.store.ledger.counts(accountId);
  }

  /** Remove entries received before `before`; returns how many. */
  prune(before: number): Promise<number> {
    return this.store.ledger.prune(before);
  }

  /**
   * Called after each committed batch that changed something, with its changes in order
   * (metrics, the control page's `messages` event); returns the unsubscribe function.
   * A listener's throw is ignored.
   */
  onCommit(fn: (changes: readonly LedgerChange[]) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  summary(): { commits: number; failedCommits: number; queued: number; open: number } {
    return { commits: this.commits, failedCommits: this.failures, queued: this.queued.length, open: this.open.size };
  }

  /** Resolves when every write asked for so far has been committed (or failed), and its change told. */
  async flush(): Promise<void> {
    await this.handedOver();
    await this.store.committed().catch(() => undefined); // a failed commit was reported to its writers
    while (this.telling) await this.telling;
  }

  /** Resolves when every write asked for so far was handed to the store (and settled). */
  private async handedOver(): Promise<void> {
    let last: Promise<void>;
    do {
      last = this.writing;
      await last;
    } while (last !== this.writing || this.queued.length > 0);
  }

  /**
   * Hands a write to the store: directly (see the class comment) — its result, or a
   * promise when the store must wait; throws when it failed at once — else batched.
   */
  private write(write: LedgerWrite, durable: boolean): LedgerWriteResult | Promise<LedgerWriteResult> {
    const direct = this.direct;
    if (!direct) return this.enqueue(write, durable);
    let r: LedgerWriteResult | Promise<LedgerWriteResult>;
    try {
      r = direct(write, !durable);
    } catch (err) {
      this.failures += 1;
      throw err;
    }
    if (!(r instanceof Promise)) {
      this.appliedNow(write, r);
      return r;
    }
    const settled = r.then(
      (res) => {
        this.countRun();
        return res;
      },
      (err: unknown) => {
        this.failures += 1;
        throw err;
      },
    );
    const quiet = settled.then(noop, noop);
    const before = this.writing;
    this.writing = Promise.all([before, quiet]).then(noop);
    if (this.listeners.size > 0) {
      // Its change is told once it settles, after every change asked before it; later ones after it.
      this.chainTell(() => {
        this.tellUntold();
        return settled.then((res) => {
          const c = changeOf(write, res);
          if (c) this.tell([c]);
        }, noop);
      });
    }
    return settled;
  }

  /** A direct write applied at once: counted, its change kept for the end of the run. */
  private appliedNow(write: LedgerWrite, r: LedgerWriteResult): void {
    this.countRun();
    if (this.listeners.size === 0 || !r.changed) return;
    const c = changeOf(write, r);
    if (!c) return;
    if (this.telling) this.chainTell(() => this.tell([c]));
    else this.untold.push(c);
  }

  /** The first direct write of a run counts one commit (the store commits the run's writes together). */
  private countRun(): void {
    if (this.inRun) return;
    this.inRun = true;
    this.commits += 1;
    void Promise.resolve().then(this.endRun);
  }

  /** The end of a run: the next write counts again; the run's changes are told. */
  private readonly endRun = (): void => {
    this.inRun = false;
    if (this.forgotten.length > 0) {
      for (const rk of this.forgotten) this.requests.delete(rk);
      this.forgotten = [];
    }
    this.tellUntold();
  };

  private tellUntold(): void {
    if (this.untold.length === 0) return;
    const changes = this.untold;
    this.untold = [];
    this.tell(changes);
  }

  private chainTell(step: () => void | Promise<void>): void {
    const link: Promise<void> = (this.telling ?? Promise.resolve()).then(step).then(() => {
      if (this.telling === link) this.telling = undefined;
    });
    this.telling = link;
  }

  private enqueue(write: LedgerWrite, durable = false): Promise<LedgerWriteResult> {
    return new Promise((resolve, reject) => {
      this.queued.push({ write, durable, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      // After the current synchronous run and its microtasks queued before.
      const commit = () => new Promise<void>((done) => queueMicrotask(() => void this.commit().then(done)));
      if (this.store.writesInOrder) {
        // The store applies writes in call order: hand this batch over now, without
        // waiting for the previous one to commit (both may then share one store commit).
        const started = commit();
        this.writing = Promise.all([this.writing, started]).then(() => undefined);
      } else {
        this.writing = this.writing.then(commit);
      }
    });
  }

  private tellBatch(batch: readonly Pending[], results: readonly LedgerWriteResult[]): void {
    if (this.listeners.size === 0) return;
    const changes: LedgerChange[] = [];
    batch.forEach((p, i) => {
      const c = changeOf(p.write, results[i]!);
      if (c) changes.push(c);
    });
    this.tell(changes);
  }

  private tell(changes: readonly LedgerChange[]): void {
    if (changes.length === 0) return;
    for (const fn of this.listeners) {
      try {
        fn(changes);
      } catch {
        // a listener's failure never fails the commit
      }
    }
  }

  /**
   * The batch in store calls: one, or on a store that applies writes in call order
   * (SQLite) one per run of arrivals, of moves and of durable moves, handed over at once
   * in order. An arrival's result (new or duplicate) is known when its call ran; the
   * store coalesces an entry's moves until its commit (a plain move settles when it is
   * queued there, a durable one once the commit is done). Listeners hear of the changes
   * in the order they were asked for.
   */
  private async commit(): Promise<void> {
    this.scheduled = false;
    const batch = this.queued;
    this.queued = [];
    if (batch.length === 0) return;
    const parts = this.store.writesInOrder ? runsOf(batch) : [batch];
    const counted = { done: false };
    await Promise.all(parts.map((part) => this.applyPart(part, counted)));
  }

  /** Applies one part of a batch (the batch is counted once a part of it is applied). */
  private async applyPart(part: Pending[], counted: { done: boolean }): Promise<void> {
    // A part of durable moves only (SQLite) settles once committed; else once applied,
    // and its durable writes then wait for the commit.
    const durableOnly = this.store.writesInOrder === true && part.every((p) => p.durable);
    const applied = this.store.ledger.apply(
      part.map((p) => p.write),
      { applied: !durableOnly },
    );
    // Told in ask order: a later part's changes wait for an earlier part's.
    if (this.listeners.size > 0) {
      this.told = this.told
        .then(() => applied)
        .then(
          (results) => this.tellBatch(part, results),
          () => undefined,
        );
    }
    let results: LedgerWriteResult[];
    try {
      results = await applied;
    } catch (err) {
      this.failures += 1;
      for (const p of part) p.reject(err);
      return;
    }
    if (!counted.done) {
      counted.done = true;
      this.commits += 1;
    }
    const durable: Array<[Pending, LedgerWriteResult]> = [];
    part.forEach((p, i) => (p.durable && !durableOnly ? durable.push([p, results[i]!]) : p.resolve(results[i]!)));
    if (durable.length === 0) return;
    try {
      await this.store.committed();
      for (const [p, r] of durable) p.resolve(r);
    } catch (err) {
      this.failures += 1;
      for (const [p] of durable) p.reject(err);
    }
  }
}

const noop = (): void => undefined;

/** The batch cut into runs of arrivals, of moves and of durable moves, in order. */
function runsOf(batch: Pending[]): Pending[][] {
  const out: Pending[][] = [];
  let last: string | undefined;
  for (const p of batch) {
    const kind = p.write.op === 'record' ? 'record' : p.durable ? 'durable' : 'move';
    if (kind !== last) out.push([]);
    out[out.length - 1]!.push(p);
    last = kind;
  }
  return out;
}

function changeOf(write: LedgerWrite, result: LedgerWriteResult): LedgerChange | null {
  if (!result.changed || !result.key) return null;
  if (write.op === 'record') return { key: result.key, state: 'received', reason: null };
  if (!write.fields.state) return null;
  return { key: result.key, state: write.fields.state, reason: write.fields.reason ?? null };
}

/** Ledgers by store: every actor given the same store shares one (tests build deps without one). */
const byStore = new WeakMap<Store, InboundLedger>();

export function ledgerFor(store: Store, now?: () => number): InboundLedger {
  let l = byStore.get(store);
  if (!l) byStore.set(store, (l = new InboundLedger(store, now ? { now } : {})));
  return l;
}
