/**
 * Offline catch-up (SPEC §5): which `append` messages are handled like live ones.
 *
 * A `notify` upsert is live. An `append` upsert is handled only when it was sent
 * after the account was last connected (the previous connection's close, else —
 * the first connection after linking — when this connection opened) and no
 * longer ago than `web.catchUpMinutes`. Everything else (older messages, history
 * sync, anything from before the account was linked) is dropped but still marked
 * read per policy — never replied to, never a pairing code.
 */
import type { InboundMessage } from '../ports/inbound.js';

export interface CatchUpWindow {
  now: number;
  /** `lastDisconnectedAt(accountId)`, else `connectedSince(accountId)`; null = unknown. */
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

/** The catch-up window start for an account (see `CatchUpWindow.since`). */
export function catchUpSince(lastDisconnectedAt: number | null, connectedSince: number | null): number | null {
  return lastDisconnectedAt ?? connectedSince;
}
