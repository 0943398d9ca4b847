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

/**
 * The order resumed entries are handled in: arrival, except that a live message held
 * behind its connection's offline backlog (`held`, recorded the moment it was held)
 * goes after the offline (`append`) entries of its chat that are not newer than it —
 * it was recorded before them, yet within one connection every offline message was
 * sent before every live one (chaos seed 1009: a kill then resumed a contact's 2nd
 * message before its 1st). Only held entries move: WhatsApp's timestamps have a
 * resolution of one second, too coarse to order a chat's messages by themselves.
 */
export function resumeOrdered(entries: readonly LedgerEntry[]): LedgerEntry[] {
  const chatOf = (e: LedgerEntry) => `${e.accountId}\u0000${e.chatJid}`;
  const out: LedgerEntry[] = [];
  let waiting: LedgerEntry[] = [];
  for (const e of entries) {
    if (e.upsertType === 'notify' && wasHeld(e)) {
      waiting.push(e);
      continue;
    }
    // Held entries of this chat go before it, unless it is an offline message not newer than them.
    const first = waiting.filter((h) => chatOf(h) === chatOf(e) && !(e.upsertType === 'append' && sentAt(e) <= sentAt(h)));
    waiting = waiting.filter((h) => !first.includes(h));
    out.push(...first, e);
  }
  return [...out, ...waiting];
}

function wasHeld(e: LedgerEntry): boolean {
  try {
    return (JSON.parse(e.message) as { held?: boolean }).held === true;
  } catch {
    return false;
  }
}

export interface Resumable {
  /** To handle again, in the chat's order (`resumeOrdered`). */
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
  return { resume: resumeOrdered(resume), expired: expired.length };
}
