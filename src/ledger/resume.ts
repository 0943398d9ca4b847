/**
 * Resume after a crash or restart (issue 13 item 2): the ledger's entries left in
 * `received`, `accepted` or `running` by the last run are handled again if they are
 * still inside the catch-up window (`web.catchUpMinutes`, counted from WhatsApp's
 * timestamp, else from when the entry was recorded); older ones become
 * `dropped(expired)`, visible in `wagate messages`. Entries of accounts that do not run
 * in this gateway are left as they are (their account resumes them when it runs; on a
 * cluster node, the node that takes the account's lease, see src/actors/access-policy.ts).
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

export interface Resumable {
  /** To handle again, in arrival order (so in order per chat). */
  resume: LedgerEntry[];
  /** How many were moved to `dropped(expired)`. */
  expired: number;
}

export async function loadResumable(
  ledger: InboundLedger,
  opts: { accounts: readonly string[]; now: number; catchUpMinutes: number },
): Promise<Resumable> {
  const running = new Set(opts.accounts);
  // One account (a cluster node taking its lease): asked for by account, so other accounts' entries do not crowd it out of the limit.
  const only = opts.accounts.length === 1 ? { accountId: opts.accounts[0]! } : {};
  const entries = (await ledger.list({ states: RESUMABLE_STATES, limit: RESUME_LIMIT, ...only })).filter((e) => running.has(e.accountId));
  const resume: LedgerEntry[] = [];
  const expired: Promise<boolean>[] = [];
  for (const e of entries) {
    if (isExpired(e, opts.now, opts.catchUpMinutes)) expired.push(ledger.move(e, { state: 'dropped', reason: 'expired' }));
    else resume.push(e);
  }
  await Promise.all(expired);
  return { resume, expired: expired.length };
}
