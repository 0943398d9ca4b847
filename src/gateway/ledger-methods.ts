/**
 * The control methods over the inbound ledger (issue 13 item 6): `messages.list` and
 * `messages.audit` (src/ledger/audit.ts says what "unexplained" means). A colleague's
 * web page and `wagate messages` call them.
 */
import { WagateError } from '../errors.js';
import { ledgerQuery, unexplained, withNotes, type LedgerAudit } from '../ledger/audit.js';
import type { InboundLedger } from '../ledger/inbound-ledger.js';
import { RESUMABLE_STATES } from '../ledger/resume.js';
import { badChatMessage, toChatJid } from '../whatsapp/address.js';
import type { ControlRegistry } from './methods.js';

/** How many unfinished entries the audit reads at most. */
export const AUDIT_LIMIT = 10_000;

/** The audit as the running gateway sees it (`messages.audit`, the `wagate_ledger_unexplained_entries` gauge). */
export async function auditLedger(ledger: InboundLedger, running: ReadonlySet<string>): Promise<LedgerAudit> {
  // Writes asked for before the audit are committed first: a message that just moved is not listed.
  await ledger.flush();
  const held = (e: Parameters<InboundLedger['openNote']>[0]) => ledger.openNote(e);
  const [counts, open] = await Promise.all([ledger.counts(), ledger.list({ states: RESUMABLE_STATES, limit: AUDIT_LIMIT })]);
  return { counts, unexplained: unexplained(open, { held, running }) };
}

export function registerLedgerMethods(methods: ControlRegistry, ledger: InboundLedger, running: () => ReadonlySet<string>): void {
  const held = (e: Parameters<InboundLedger['openNote']>[0]) => ledger.openNote(e);

  methods.register('messages.list', async (params) => {
    let chat = params.chat;
    if (chat !== undefined) {
      const jid = toChatJid(chat);
      if (!jid) throw new WagateError('WAGATE_ERR_BAD_REQUEST', badChatMessage(chat));
      chat = jid;
    }
    const entries = await ledger.list(ledgerQuery({ ...params, ...(chat !== undefined ? { chat } : {}) }));
    return { entries: withNotes(entries, held) };
  });

  methods.register('messages.audit', () => auditLedger(ledger, running()));
}
