/** SQLite: the inbound ledger (every inbound message and what became of it). */
import {
  LEDGER_STATES,
  type LedgerArrival,
  type LedgerKey,
  type LedgerState,
  type LedgerStore,
  type LedgerUpdate,
  type LedgerWrite,
  type LedgerWriteResult,
} from './port.js';
import {
  coalesceLedgerWrites,
  LEDGER_COLUMNS,
  LEDGER_DEFAULT_LIMIT,
  ledgerEntryFromRow,
  ledgerKeyText,
  ledgerUpdateOf,
  mergeLedgerUpdateInto,
} from './ledger-rows.js';
import { keepCount, NOT_NOW, type CommitHook, type Row, type SqlRunner } from './sqlite-runner.js';

/** The columns an update may set, in a fixed order (one cached statement per combination). */
const UPDATE_FIELDS = [
  ['state', (f: LedgerUpdate) => f.state],
  ['reason', (f: LedgerUpdate) => f.reason],
  ['request_id', (f: LedgerUpdate) => f.requestId],
  ['reply_text', (f: LedgerUpdate) => f.replyText],
  ['reply_ids', (f: LedgerUpdate) => (f.replyIds === undefined ? undefined : JSON.stringify(f.replyIds))],
  ['error', (f: LedgerUpdate) => f.error],
] as const;

/** `UPDATE … SET` statements by the set of fields given (bit i = UPDATE_FIELDS[i]). */
const updateSql = new Map<number, string>();

/** The update's statement text and values (`updated_at` always; then the key). */
function setClause(f: LedgerUpdate): { sql: string; values: unknown[] } {
  let mask = 0;
  const values: unknown[] = [];
  for (let i = 0; i < UPDATE_FIELDS.length; i++) {
    const v = UPDATE_FIELDS[i]![1](f);
    if (v === undefined) continue;
    mask |= 1 << i;
    values.push(v);
  }
  values.push(f.at);
  let sql = updateSql.get(mask);
  if (sql === undefined) {
    const cols = UPDATE_FIELDS.filter((_, i) => mask & (1 << i)).map(([col]) => `${col} = ?`);
    sql = `UPDATE inbound_ledger SET ${[...cols, 'updated_at = ?'].join(', ')} WHERE account_id = ? AND chat_jid = ? AND message_id = ?`;
    updateSql.set(mask, sql);
  }
  return { sql, values };
}

const INSERT = `INSERT INTO inbound_ledger (account_id, chat_jid, message_id, sender, wa_timestamp, upsert_type, message, state, received_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, 'received', ?, ?)
  ON CONFLICT (account_id, chat_jid, message_id) DO NOTHING`;

/** Callers waiting for a coalesced move's statement. */
interface MoveWaiter {
  resolve(changed: boolean): void;
  reject(err: unknown): void;
}

/** An entry's moves asked in the open transaction and not written yet, merged. */
interface PendingMove {
  key: LedgerKey;
  fields: LedgerUpdate;
  /** Callers settling at the commit. */
  waiters: MoveWaiter[];
  /** Some caller was settled when it asked (applied, the entry known to exist). */
  early: boolean;
}

/** A merged move whose statement ran; its callers hear at the commit. */
interface RanMove {
  waiters: MoveWaiter[];
  changed: boolean;
  failure: unknown;
  early: boolean;
}

/** How many entries known to exist are remembered (see CoalescedMoves). */
const KNOWN_LIMIT = 10_000;

/**
 * The coalesced moves of plain calls (issue 12 item 5): the moves of an entry asked
 * within one group-commit transaction become one UPDATE, run right before the commit
 * (the runner's commit hook) — or earlier, when a read of the ledger, an arrival of
 * that entry, a move by request id or a prune needs them written first. One UPDATE is
 * atomic by itself: no savepoint.
 *
 * A caller settles once the commit is done, with whether an entry was updated (rejected
 * when its statement or the commit failed) — unless it asked with `applied` (the inbound
 * ledger's moves): then it settles at once when the entry is known to exist (this
 * instance inserted it, or updated it, since the last prune or failed commit), and
 * otherwise its move is written at once for an exact answer. Should the statement of a
 * move settled so fail later, `Store.committed()` rejects: whoever waits for the commit
 * before showing anything outside (a reply sent) learns that not everything was written.
 */
class CoalescedMoves {
  private pending = new Map<string, PendingMove>();
  private ran: RanMove[] = [];
  private readonly known = new Set<string>();

  constructor(
    private readonly run: (key: LedgerKey, fields: LedgerUpdate) => boolean,
    private readonly error: (err: unknown) => unknown,
  ) {}

  /** The entry exists (an arrival was inserted, or a move changed it). */
  sawEntry(key: LedgerKey): void {
    const k = ledgerKeyText(key);
    if (this.known.has(k)) return;
    this.known.add(k);
    if (this.known.size > KNOWN_LIMIT) this.known.delete(this.known.values().next().value as string);
  }

  /** Rows may have gone (a prune, a commit that failed): nothing is known to exist. */
  forget(): void {
    this.known.clear();
  }

  /**
   * Ask for a move. Resolves with whether an entry was updated: once committed, or with
   * `applied` at once (see the class comment); throws when a move written at once fails.
   */
  stash(key: LedgerKey, fields: LedgerUpdate, applied: boolean): boolean | Promise<boolean> {
    const k = ledgerKeyText(key);
    if (applied && !this.known.has(k)) {
      // Not known to exist: written now (after what is pending for it), for an exact answer.
      const pending = this.pending.get(k);
      if (pending) {
        this.pending.delete(k);
        this.runOne(pending);
      }
      const changed = this.run(key, fields);
      if (changed) this.sawEntry(key);
      return changed;
    }
    let p = this.pending.get(k);
    // Merged into a copy of our own (one shape: see ledgerUpdateOf), never the caller's object.
    if (!p) this.pending.set(k, (p = { key, fields: ledgerUpdateOf(fields, fields.at), waiters: [], early: false }));
    else mergeLedgerUpdateInto(p.fields, fields);
    if (applied) {
      p.early = true;
      return true;
    }
    const move = p;
    return new Promise((resolve, reject) => move.waiters.push({ resolve, reject }));
  }

  private runOne(p: PendingMove): void {
    let changed = false;
    let failure: unknown;
    try {
      changed = this.run(p.key, p.fields);
      if (changed) this.sawEntry(p.key);
      else this.known.delete(ledgerKeyText(p.key));
    } catch (err) {
      failure = this.error(err);
    }
    this.ran.push({ waiters: p.waiters, changed, failure, early: p.early });
  }

  /** Write every pending move now (in the open transaction). */
  flushAll(): void {
    if (this.pending.size === 0) return;
    const moves = this.pending;
    this.pending = new Map();
    for (const p of moves.values()) this.runOne(p);
  }

  /** Write the pending moves of these entries now. */
  flushKeys(keys: readonly LedgerKey[]): void {
    if (this.pending.size === 0) return;
    for (const key of keys) {
      const k = ledgerKeyText(key);
      const p = this.pending.get(k);
      if (!p) continue;
      this.pending.delete(k);
      this.runOne(p);
    }
  }

  /** Before the writes of a batch that is not all moves: what it may depend on is written first. */
  flushFor(writes: readonly LedgerWrite[]): void {
    if (this.pending.size === 0) return;
    if (writes.every((w) => w.op === 'record')) this.flushKeys(writes.map((w) => (w as { arrival: LedgerArrival }).arrival));
    else this.flushAll();
  }

  /** The commit hook: write what is pending; settle the callers once the commit is done. */
  readonly beforeCommit: CommitHook = () => {
    this.flushAll();
    if (this.ran.length === 0) return undefined;
    const ran = this.ran;
    this.ran = [];
    const late = ran.find((m) => m.early && m.failure !== undefined)?.failure;
    return {
      failure: late,
      after: (commitFailure) => {
        if (commitFailure !== undefined) this.forget();
        for (const m of ran) {
          const failure = m.failure ?? commitFailure;
          for (const w of m.waiters) {
            if (failure !== undefined) w.reject(failure);
            else w.resolve(m.changed);
          }
        }
      },
    };
  };
}

const isUpdate = (w: LedgerWrite): w is Extract<LedgerWrite, { op: 'update' }> => w.op === 'update';

export function ledger(r: SqlRunner): LedgerStore {
  const insert = (a: LedgerArrival): boolean =>
    r.stmt(INSERT).run(a.accountId, a.chatJid, a.messageId, a.sender, a.waTimestamp, a.upsertType, a.message, a.receivedAt, a.receivedAt).changes > 0;
  const update = (key: LedgerKey, fields: LedgerUpdate): boolean => {
    const { sql, values } = setClause(fields);
    return r.stmt(sql).run(...values, key.accountId, key.chatJid, key.messageId).changes > 0;
  };
  const keyByRequest = (accountId: string, requestId: string): LedgerKey | null => {
    const row = r
      .stmt('SELECT account_id, chat_jid, message_id FROM inbound_ledger WHERE account_id = ? AND request_id = ? ORDER BY seq LIMIT 1')
      .get(accountId, requestId) as Row | undefined;
    return row ? { accountId: row.account_id as string, chatJid: row.chat_jid as string, messageId: row.message_id as string } : null;
  };
  const applyOne = (w: LedgerWrite): LedgerWriteResult => {
    switch (w.op) {
      case 'record':
        return { changed: insert(w.arrival), key: { accountId: w.arrival.accountId, chatJid: w.arrival.chatJid, messageId: w.arrival.messageId } };
      case 'update':
        return { changed: update(w.key, w.fields), key: w.key };
      case 'update-by-request': {
        const key = keyByRequest(w.accountId, w.requestId);
        return { changed: key !== null && update(key, w.fields), key };
      }
    }
  };
  /** The batch at once, moves of one entry merged (coalesceLedgerWrites); all or nothing. */
  const applyNow = (writes: readonly LedgerWrite[]): LedgerWriteResult[] => {
    const { ops, of } = coalesceLedgerWrites(writes);
    const results = ops.length > 1 ? r.atomic(() => ops.map(applyOne)) : ops.map(applyOne);
    return of.map((j) => ({ ...results[j]! }));
  };
  // Plain calls coalesce moves until the commit; a transaction(fn) handle writes them at once.
  const moves = r.beforeCommit ? new CoalescedMoves(update, (err) => r.error('move an inbound message', err)) : undefined;
  if (moves) r.beforeCommit!(moves.beforeCommit);
  const flushAll = () => moves?.flushAll();
  /** One write that is not a coalesced move, written now (what `apply` runs for a batch of one). */
  const writeOne = (w: LedgerWrite): LedgerWriteResult => {
    moves?.flushFor([w]);
    const res = applyOne(w);
    if (moves && res.key && (res.changed || w.op === 'record')) moves.sawEntry(res.key);
    return res;
  };
  const store: LedgerStore = {
    apply: (writes, opts) => {
      if (moves && writes.length > 0 && writes.every(isUpdate)) {
        const applied = opts?.applied === true;
        let asked: Array<boolean | Promise<boolean>> = [];
        return r
          .write('write the inbound ledger', () => void (asked = writes.map((w) => moves.stash(w.key, w.fields, applied))), { applied: true, single: true })
          .then(() => Promise.all(asked))
          .then((changed) => writes.map((w, i) => ({ changed: changed[i]!, key: w.key })));
      }
      return r.write(
        'write the inbound ledger',
        () => {
          moves?.flushFor(writes);
          const results = applyNow(writes);
          if (moves) results.forEach((res, i) => res.key && (res.changed || writes[i]!.op === 'record') && moves.sawEntry(res.key));
          return results;
        },
        { applied: opts?.applied === true, single: true },
      );
    },
    record: (arrivals) =>
      r.write(
        'record inbound messages',
        () => {
          moves?.flushKeys(arrivals);
          const out = arrivals.length > 1 ? r.atomic(() => arrivals.map(insert)) : arrivals.map(insert);
          for (const a of arrivals) moves?.sawEntry(a);
          return out;
        },
        { single: true },
      ),
    get: (key) =>
      r.read('read an inbound message', () => {
        moves?.flushKeys([key]);
        const row = r
          .stmt(`SELECT ${LEDGER_COLUMNS} FROM inbound_ledger WHERE account_id = ? AND chat_jid = ? AND message_id = ?`)
          .get(key.accountId, key.chatJid, key.messageId) as Row | undefined;
        return row ? ledgerEntryFromRow(row) : undefined;
      }),
    // One move on its own is written at once (after the entry's coalesced ones): it fails alone.
    update: (key, fields) =>
      r.write(
        'update an inbound message',
        () => {
          moves?.flushKeys([key]);
          const changed = update(key, fields);
          if (changed) moves?.sawEntry(key);
          return changed;
        },
        { single: true },
      ),
    byRequest: (accountId, requestId) =>
      r.read('find an inbound message by request', () => {
        flushAll();
        const row = r
          .stmt(`SELECT ${LEDGER_COLUMNS} FROM inbound_ledger WHERE account_id = ? AND request_id = ? ORDER BY seq LIMIT 1`)
          .get(accountId, requestId) as Row | undefined;
        return row ? ledgerEntryFromRow(row) : undefined;
      }),
    list: (q = {}) =>
      r.read('list inbound messages', () => {
        flushAll();
        const where: string[] = [];
        const values: unknown[] = [];
        if (q.accountId !== undefined) {
          where.push('account_id = ?');
          values.push(q.accountId);
        }
        if (q.chatJid !== undefined) {
          where.push('chat_jid = ?');
          values.push(q.chatJid);
        }
        if (q.states !== undefined) {
          where.push(q.states.length === 0 ? '1 = 0' : `state IN (${q.states.map(() => '?').join(', ')})`);
          values.push(...q.states);
        }
        if (q.since !== undefined) {
          where.push('received_at >= ?');
          values.push(q.since);
        }
        const sql = `SELECT ${LEDGER_COLUMNS} FROM inbound_ledger ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
        const rows = r.stmt(sql).all(...values, keepCount(q.limit ?? LEDGER_DEFAULT_LIMIT)) as Row[];
        return rows.map(ledgerEntryFromRow).reverse();
      }),
    counts: (accountId) =>
      r.read('count inbound messages', () => {
        flushAll();
        const rows = (
          accountId === undefined
            ? r.stmt('SELECT state, COUNT(*) AS n FROM inbound_ledger GROUP BY state').all()
            : r.stmt('SELECT state, COUNT(*) AS n FROM inbound_ledger WHERE account_id = ? GROUP BY state').all(accountId)
        ) as Row[];
        const out = Object.fromEntries(LEDGER_STATES.map((s) => [s, 0])) as Record<LedgerState, number>;
        for (const row of rows) out[row.state as LedgerState] = Number(row.n);
        return out;
      }),
    prune: (before) =>
      r.write(
        'prune the inbound ledger',
        () => {
          flushAll();
          moves?.forget();
          return r.stmt('DELETE FROM inbound_ledger WHERE received_at < ?').run(before).changes;
        },
        { single: true },
      ),
  };
  const writeNow = r.writeNow;
  if (moves && writeNow) {
    const later = (w: LedgerWrite, applied: boolean) => store.apply([w], { applied }).then((res) => res[0]!);
    store.applyNow = (w, applied) => {
      if (w.op === 'update') {
        // A move: coalesced (settled at once when applied and its entry is known).
        const changed = writeNow('write the inbound ledger', () => moves.stash(w.key, w.fields, applied));
        if (changed === NOT_NOW) return later(w, applied);
        return typeof changed === 'boolean' ? { changed, key: w.key } : changed.then((c) => ({ changed: c, key: w.key }));
      }
      if (!applied) return later(w, applied);
      const res = writeNow('write the inbound ledger', () => writeOne(w));
      return res === NOT_NOW ? later(w, applied) : res;
    };
  }
  return store;
}
