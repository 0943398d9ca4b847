/**
 * The DM access decision (SPEC §5) as a pure function: who may talk to the
 * agent in a direct chat. The access-policy actor gathers the inputs (config,
 * the approved store, the linked identity) and acts on the answer:
 *
 *   'accept'   → message.accepted
 *   'pairing'  → pairing.needed (the pairing actor may reply with a code)
 *   'drop:…'   → message.dropped with that reason
 *
 * Order: the owner's self-chat is always trusted (skips dmPolicy and allowFrom,
 * whatever `selfChatMode` says; the caller still recognizes our own replies by
 * id and never hands them here). Any other `fromMe` message is our own outbound
 * DM: never a prompt, never a pairing reply. Then `disabled` drops, `open`
 * accepts, and otherwise the sender must be in `allowFrom` (or `*` is there) or
 * in the approved store; an unknown sender gets `pairing` under dmPolicy
 * "pairing" and is dropped under "allowlist".
 */
import type { DM_POLICIES } from '../config/index.js';
import { isSelf, normalizeSender } from '../whatsapp/address.js';

export type DmPolicy = (typeof DM_POLICIES)[number];

export type DmDropReason = 'from-me' | 'dm-disabled' | 'not-allowlisted';
export type DmDecision = 'accept' | 'pairing' | `drop:${DmDropReason}`;

export interface DmDecisionInput {
  dmPolicy: DmPolicy;
  /** The account's merged `allowFrom` (E.164 numbers, LID JIDs, or `*`). */
  allowFrom: readonly string[];
  /** Is this sender in the approved pairing store? (Called with the normalized sender.) */
  approved: (sender: string) => boolean;
  /** The linked number (`+15551234567`); null before the first link. */
  selfE164: string | null;
  /** The linked account's LID, when known. */
  selfLid?: string | null;
  /** The sender: E.164, or a LID JID when it could not be resolved. */
  sender: string;
  /** Sent by the linked account itself. */
  fromMe: boolean;
  /** The chat is "Message yourself". */
  isSelfChat: boolean;
  /** Personal-number mode (affects receipts and prefixes elsewhere, not access). */
  selfChatMode: boolean;
}

export function decideDm(input: DmDecisionInput): DmDecision {
  const sender = normalizeSender(input.sender);
  const senderIsSelf = isSelf(input.sender, { e164: input.selfE164, lid: input.selfLid ?? null });

  if (input.isSelfChat || (senderIsSelf && !input.fromMe)) return 'accept';
  if (input.fromMe) return 'drop:from-me';
  if (input.dmPolicy === 'disabled') return 'drop:dm-disabled';
  if (input.dmPolicy === 'open') return 'accept';

  const allow = input.allowFrom.map(normalizeSender);
  if (allow.includes('*') || allow.includes(sender) || input.approved(sender)) return 'accept';
  return input.dmPolicy === 'pairing' ? 'pairing' : 'drop:not-allowlisted';
}

/** The reason part of a drop decision, or null for accept/pairing. */
export function dropReason(decision: DmDecision): DmDropReason | null {
  return decision.startsWith('drop:') ? (decision.slice(5) as DmDropReason) : null;
}
