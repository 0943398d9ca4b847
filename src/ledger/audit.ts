/**
 * Reading the inbound ledger (issue 13 item 6): the entry as `wagate messages` and
 * the control methods `messages.list` / `messages.audit` show it, and the audit.
 *
 * "Unexplained" (what `messages audit` lists; 0 on a healthy gateway): an entry that
 * is not in a final state (`received`, `accepted` or `running`) and that nothing is
 * going to finish —
 * - with a gateway running: the gateway does not hold it (it is not being decided, in
 *   an agent run, queued behind its chat, being sent, or resumed and waiting for its
 *   account to connect), and its account runs in that gateway (an account that is not
 *   running resumes its entries when it runs, or they expire: explained);
 * - with no gateway running (the CLI reads the store file): every unfinished entry, since
 *   nothing handles it — the next start resumes it if it is inside the catch-up window,
 *   else it becomes `dropped(expired)`.
 */
import type { InboundMessage } from '../ports/inbound.js';
import { FINAL_LEDGER_STATES, LEDGER_STATES, type LedgerEntry, type LedgerQuery, type LedgerState } from '../store/port.js';

/** One ledger entry as the control protocol and the CLI show it. */
export interface LedgerEntryView {
  accountId: string;
  chatJid: string;
  messageId: string;
  sender: string;
  /** The sender's E.164 when known. */
  senderE164: string | null;
  /** The message's readable text (text, caption or placeholder), at most 200 characters. */
  text: string;
  upsertType: 'notify' | 'append';
  state: LedgerState;
  reason: string | null;
  requestId: string | null;
  /** The agent's answer is kept (a resume sends it without asking the agent again). */
  replyKept: boolean;
  replyIds: string[];
  error: string | null;
  /** WhatsApp's timestamp (ms; 0 when absent), when it was recorded, when it last moved. */
  waTimestamp: number;
  receivedAt: number;
  updatedAt: number;
  /** Unfinished entries: what holds it now (in the gateway), or why it is unexplained. */
  note?: string;
}

export interface LedgerAudit {
  counts: Record<LedgerState, number>;
  unexplained: LedgerEntryView[];
}

export const TEXT_PREVIEW = 200;

export function isFinal(state: LedgerState): boolean {
  return FINAL_LEDGER_STATES.includes(state);
}

export function isLedgerState(s: string): s is LedgerState {
  return (LEDGER_STATES as readonly string[]).includes(s);
}

export function toView(e: LedgerEntry, note?: string): LedgerEntryView {
  let text = '';
  let senderE164: string | null = null;
  try {
    const m = JSON.parse(e.message) as Partial<InboundMessage>;
    text = m.text || m.placeholder || '';
    senderE164 = m.from?.e164 ?? null;
  } catch {
    text = '';
  }
  if (text.length > TEXT_PREVIEW) text = `${text.slice(0, TEXT_PREVIEW - 1)}…`;
  return {
    accountId: e.accountId,
    chatJid: e.chatJid,
    messageId: e.messageId,
    sender: e.sender,
    senderE164,
    text,
    upsertType: e.upsertType,
    state: e.state,
    reason: e.reason,
    requestId: e.requestId,
    replyKept: e.replyText !== null,
    replyIds: e.replyIds,
    error: e.error,
    waTimestamp: e.waTimestamp,
    receivedAt: e.receivedAt,
    updatedAt: e.updatedAt,
    ...(note !== undefined ? { note } : {}),
  };
}

/** `messages.list` params as the store query. */
export function ledgerQuery(p: { account?: string; chat?: string; state?: LedgerState; since?: number; limit?: number }): LedgerQuery {
  return {
    ...(p.account !== undefined ? { accountId: p.account } : {}),
    ...(p.chat !== undefined ? { chatJid: p.chat } : {}),
    ...(p.state !== undefined ? { states: [p.state] } : {}),
    ...(p.since !== undefined ? { since: p.since } : {}),
    limit: p.limit ?? 200,
  };
}

/** What the audit needs to know of the process looking (see the header). */
export interface AuditContext {
  /** Why the gateway holds the entry, or undefined; absent = no gateway runs. */
  held?: (e: LedgerEntry) => string | undefined;
  /** Accounts running in the gateway (with `held`). */
  running?: ReadonlySet<string>;
}

/** The unfinished entries that are not explained, each with a note saying why it is listed. */
export function unexplained(unfinished: readonly LedgerEntry[], ctx: AuditContext): LedgerEntryView[] {
  const out: LedgerEntryView[] = [];
  for (const e of unfinished) {
    if (isFinal(e.state)) continue;
    if (!ctx.held) {
      out.push(toView(e, 'no gateway running: the next start resumes it inside the catch-up window, else drops it as expired'));
      continue;
    }
    if (ctx.held(e) !== undefined) continue;
    if (ctx.running && !ctx.running.has(e.accountId)) continue;
    out.push(toView(e, `left in ${e.state} and not held by the running gateway`));
  }
  return out;
}

/** The entries a gateway holds, with what holds them (for `messages.list` notes). */
export function withNotes(entries: readonly LedgerEntry[], held: (e: LedgerEntry) => string | undefined): LedgerEntryView[] {
  return entries.map((e) => {
    const note = isFinal(e.state) ? undefined : held(e);
    return toView(e, note);
  });
}
