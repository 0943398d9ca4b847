/**
 * Offline catch-up (SPEC §5): which `append` messages are handled like live ones.
 *
 * A `notify` upsert is live. An `append` upsert (WhatsApp's offline queue) is
 * handled only when it was sent after the catch-up window start (`catchUpStart`)
 * and no longer ago than `web.catchUpMinutes`. Everything else (older messages,
 * history sync, anything from before the account was linked) is dropped but still
 * marked read per policy — never replied to, never a pairing code.
 */
import type { InboundMessage } from '../../ports/inbound.js';

export interface CatchUpWindow {
  now: number;
  /** The window start (`catchUpStart`); null = unknown. */
  since: number | null;
  catchUpMinutes: number;
}

/**
 * WhatsApp stamps messages in whole seconds and the disconnect is noticed a little
 * after the network went; a message this much older than the recorded window start
 * still counts as sent during the outage (dedupe stops a second answer anyway).
 */
export const CATCH_UP_GRACE_MS = 10_000;

export type CatchUpVerdict = 'live' | 'catch-up' | 'too-old' | 'before-window';

export function catchUpVerdict(msg: Pick<InboundMessage, 'upsertType' | 'timestamp'>, w: CatchUpWindow): CatchUpVerdict {
  if (msg.upsertType === 'notify') return 'live';
  // No known window start (never connected) or no timestamp: it cannot be placed; treat as history.
  if (w.since === null || msg.timestamp <= 0) return 'before-window';
  if (msg.timestamp < w.since - CATCH_UP_GRACE_MS) return 'before-window';
  if (w.now - msg.timestamp > w.catchUpMinutes * 60_000) return 'too-old';
  return 'catch-up';
}

export interface WindowFacts {
  /** When the account was linked (persisted), if known. */
  linkedAt: number | null;
  /** When this run's previous connection of the account closed, if it had one. */
  lastCloseThisRun: number | null;
  /** The last moment an earlier run (or the in-process login) knew the account connected. */
  previousRunLastConnected: number | null;
  /** When this run's first connection of the account opened (used only when nothing else is known). */
  firstOpenThisRun: number | null;
}

/**
 * The catch-up window start (SPEC §5, as amended by the inbound ledger): the moment
 * the account was linked, when it is known. Not the end of the account's previous
 * connection any more: WhatsApp keeps a message queued for the device until the
 * device acknowledges it, and delivers it at a later login — not always the next one
 * (the chaos test, seed 1005: messages sent during one run, received by none before
 * its SIGKILL, came two runs later and were dropped as `catch-up:before-window`,
 * never answered). A message that was handled before has its ledger entry (dedupe is
 * the ledger, kept `web.ledger.retentionDays`), so it is a duplicate whatever its
 * timestamp; one without an entry was never handled and is answered if it is younger
 * than `web.catchUpMinutes`. Only when the link moment is unknown (creds linked by an
 * older version) does the end of the previous connection bound the window — this
 * run's previous one, else the last moment an earlier run knew it connected — and,
 * when nothing at all is known, this run's first connection, which never answers an
 * old message.
 */
export function catchUpStart(f: WindowFacts): number | null {
  if (f.linkedAt !== null) return f.linkedAt;
  return f.lastCloseThisRun ?? f.previousRunLastConnected ?? f.firstOpenThisRun;
}
