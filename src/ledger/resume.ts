/**
 * Resume after a crash or restart (issue 13 item 2): the ledger's entries left in
 * `received`, `accepted` or `running` by the last run are handled again if they are
 * still inside the catch-up window (`web.catchUpMinutes`, counted from WhatsApp's
 * timestamp, else from when the entry was recorded); older ones become
 * `dropped(expired)`, visible in `wagate messages`. Entries of accounts that do not run
 * in this gateway are left as they are (their account resumes them when it runs).
 */
import type { LedgerEntry, LedgerState } from '../store/port.js';
import type { InboundLedger } from './inbound-ledger.js';

/** Where a run can leave an entry unfinished. */
export const RESUMABLE_STATES: readonly LedgerState[] = ['received', 'accepted', 'running'];

/** How many unfinished entries one start looks at (the newest; older ones expire anyway). */
export const RESUME_LIMIT = 10_000;

/** The moment the catch-up window counts from: WhatsApp's timestamp, else the record's. */
export function sentAt(e: Pick<LedgerEntry, 'waTimestamp' | 'receivedAt'>): number {
  return e.waTimestamp > 0 ? e.waTimestamp : e.receivedAt;
}

export function isExpired(e: Pick<LedgerEntry, 'waTimestamp' | 'receivedAt'>, now: number, catchUpMinutes: number): boolean {
  return now - sentAt(e) > catchUpMinutes * 60_000;
}

/**
 * The order resumed entries are handled in (per chat what matters): WhatsApp's
 * timestamp, then — within one second, WhatsApp's resolution — catch-up (`append`)
 * before live (`notify`), then arrival. Arrival alone is not the chat's order: a live
 * message held behind its connection's offline backlog is recorded the moment it is
 * held (`message.held`), before the older offline messages of its chat are upserted
 * (chaos seed 1009: a kill then resumed a contact's 2nd message before its 1st). Within
 * one connection every offline message was sent before every live one.
 */
export function resumeOrder(a: LedgerEntry, b: LedgerEntry): number {
  const sec = (e: LedgerEntry) => Math.floor(sentAt(e) / 1000);
  return sec(a) - sec(b) || (a.upsertType === b.upsertType ? 0 : a.upsertType === 'append' ? -1 : 1) || sentAt(a) - sentAt(b);
}

export interface Resumable {
  /** To handle again, in the chat's order (`resumeOrder`). */
  resume: LedgerEntry[];
  /** How many were moved to `dropped(expired)`. */
  expired: number;
}

export async function loadResumable(
  ledger: InboundLedger,
  opts: { accounts: readonly string[]; now: number; catchUpMinutes: number },
): Promise<Resumable> {
  const running = new Set(opts.accounts);
  const entries = (await ledger.list({ states: RESUMABLE_STATES, limit: RESUME_LIMIT })).filter((e) => running.has(e.accountId));
  const resume: LedgerEntry[] = [];
  const expired: Promise<boolean>[] = [];
  for (const e of entries) {
    if (isExpired(e, opts.now, opts.catchUpMinutes)) expired.push(ledger.move(e, { state: 'dropped', reason: 'expired' }));
    else resume.push(e);
  }
  await Promise.all(expired);
  // Stable: equal keys keep their arrival order.
  resume.sort(resumeOrder);
  return { resume, expired: expired.length };
}
