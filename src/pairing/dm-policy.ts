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
import { addressKey, normalizeSender } from '../whatsapp/address.js';

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
  // The same order as the header, with each address parsed only when the answer needs
  // it (this runs for every DM): under "open" a stranger's DM needs no parsing at all.
  if (input.isSelfChat) return 'accept';
  if (input.fromMe) return 'drop:from-me';
  if (input.dmPolicy === 'open') return 'accept';
  const senderKey = addressKey(input.sender);
  if (senderKey !== null && (senderKey === selfKey(input.selfE164) || senderKey === selfKey(input.selfLid))) return 'accept';
  if (input.dmPolicy === 'disabled') return 'drop:dm-disabled';

  const sender = input.sender.trim() === '*' ? '*' : (senderKey ?? input.sender.trim().toLowerCase());
  const allow = normalizedList(input.allowFrom);
  if (allow.has('*') || allow.has(sender) || input.approved(sender)) return 'accept';
  return input.dmPolicy === 'pairing' ? 'pairing' : 'drop:not-allowlisted';
}

/** The linked accounts' address keys (a few numbers and LIDs, rarely changing). */
const selfKeys = new Map<string, string | null>();
function selfKey(raw: string | null | undefined): string | null {
  if (!raw) return null;
  let key = selfKeys.get(raw);
  if (key === undefined) {
    if (selfKeys.size >= 256) selfKeys.clear();
    selfKeys.set(raw, (key = addressKey(raw)));
  }
  return key;
}

/** `allowFrom` lists normalized once per list (they are the loaded config's arrays). */
const normalizedLists = new WeakMap<readonly string[], Set<string>>();
function normalizedList(list: readonly string[]): Set<string> {
  let set = normalizedLists.get(list);
  if (!set) normalizedLists.set(list, (set = new Set(list.map(normalizeSender))));
  return set;
}

/** The reason part of a drop decision, or null for accept/pairing. */
export function dropReason(decision: DmDecision): DmDropReason | null {
  return decision.startsWith('drop:') ? (decision.slice(5) as DmDropReason) : null;
}
