/**
 * Messages WhatsApp has our receipt for and the gateway never saw (issue 13: the
 * ack-before-record gap).
 *
 * Baileys rc14 handles an inbound message as: decrypt → delivery receipt →
 * `messages.upsert` through its event buffer (up to ~100 ms later, longer under load
 * or behind an offline backlog) → the gateway records it in the inbound ledger. A
 * gateway killed after the receipt and before the record loses the message: WhatsApp
 * will not deliver it again. But decrypt-replay.ts has kept its plaintext, with the
 * stanza's attributes, in the decryption's own key transaction — committed before the
 * receipt goes out — and removes it only once the message is in the ledger.
 *
 * At the next start (before the socket is opened) the transport reads what is kept,
 * rebuilds each message as Baileys would have upserted it (`decodeMessageNode` for the
 * key, sender and timestamp; the plaintexts unpadded and decoded like
 * `decryptMessageNode` does) and hands those that have no ledger entry to the gateway
 * through the normal inbound path, as catch-up (`append`). The ledger dedupes, so a
 * message that WhatsApp also delivers again (killed before the receipt) is handled once.
 */
import { cleanMessage, decodeMessageNode, proto, unpadRandomMax16, type WAMessage } from '@whiskeysockets/baileys';
import type { InboundMessage } from '../ports/inbound.js';
import type { Store } from '../store/port.js';
import { DECRYPTED_CATEGORY, type KeptDecryption } from './decrypt-replay.js';

/** One message rebuilt from its kept plaintexts. */
export interface KeptMessage {
  message: WAMessage;
  /** The key-store ids (ciphertext keys) of its kept parts. */
  keys: string[];
  /** When its first part was decrypted (ms since the epoch). */
  at: number;
  /** When its stanza arrived (ms since the epoch; the decryption time for values kept without it) and its arrival number on that connection. */
  seenAt: number;
  seq: number;
}

export interface KeptScan {
  /** Rebuilt messages, oldest first (WhatsApp timestamp, then the socket's order). */
  messages: KeptMessage[];
  /** Kept entries that cannot be rebuilt (no stanza kept, unreadable), with their age when known. */
  unusable: Array<{ keys: string[]; at: number | null }>;
}

interface Part {
  key: string;
  value: KeptDecryption & { s: Record<string, string> };
}

/** Reads the account's kept plaintexts and rebuilds their messages. */
export async function readKeptDecryptions(store: Store, accountId: string, me: { id: string; lid?: string }): Promise<KeptScan> {
  const raw = await store.keys.list(accountId, DECRYPTED_CATEGORY);
  const byStanza = new Map<string, Part[]>();
  const unusable: KeptScan['unusable'] = [];
  for (const [key, text] of raw) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      unusable.push({ keys: [key], at: null });
      continue;
    }
    const v = value as Partial<KeptDecryption>;
    if (!v || typeof v !== 'object' || typeof v.p !== 'string' || !v.s?.id || !v.s.from) {
      unusable.push({ keys: [key], at: typeof v?.at === 'number' ? v.at : null });
      continue;
    }
    const id = `${v.s.from}\u0000${v.s.participant ?? ''}\u0000${v.s.id}`;
    const parts = byStanza.get(id) ?? [];
    parts.push({ key, value: v as Part['value'] });
    byStanza.set(id, parts);
  }
  const messages: KeptMessage[] = [];
  for (const parts of byStanza.values()) {
    parts.sort((a, b) => (a.value.i ?? 0) - (b.value.i ?? 0));
    const keys = parts.map((p) => p.key);
    const at = Math.min(...parts.map((p) => p.value.at));
    const first = parts[0]!.value;
    try {
      messages.push({ message: rebuild(parts, me), keys, at, seenAt: first.sa ?? at, seq: first.sn ?? 0 });
    } catch {
      unusable.push({ keys, at });
    }
  }
  // The socket's order: WhatsApp's timestamps are whole seconds, and Baileys decrypts
  // different senders' stanzas concurrently (a group's members: decryption times are not
  // the order they came in).
  messages.sort(
    (a, b) => Number(a.message.messageTimestamp ?? 0) - Number(b.message.messageTimestamp ?? 0) || a.seenAt - b.seenAt || a.seq - b.seq || a.at - b.at,
  );
  return { messages, unusable };
}

/** The message Baileys built from this stanza (Utils/decode-wa-message.js, decryptMessageNode). */
function rebuild(parts: Part[], me: { id: string; lid?: string }): WAMessage {
  const stanza = { tag: 'message', attrs: parts[0]!.value.s, content: undefined };
  const { fullMessage } = decodeMessageNode(stanza, me.id, me.lid ?? '');
  for (const { value } of parts) {
    const buf = Buffer.from(value.p, 'base64');
    const decoded = proto.Message.decode(value.e === 'plaintext' ? buf : unpadRandomMax16(buf));
    const msg: proto.IMessage = decoded.deviceSentMessage?.message || decoded;
    if (fullMessage.message) Object.assign(fullMessage.message, msg);
    else fullMessage.message = msg;
  }
  cleanMessage(fullMessage, me.id, me.lid ?? '');
  return fullMessage;
}

/** How long after an upsert its kept plaintexts are checked against the ledger. */
export const FORGET_AFTER_MS = 2_000;

/**
 * Forgets kept plaintexts once they are no longer needed: those of an upsert's stanzas
 * that are nothing to record (a protocol message, a reaction to nothing…) at once, and
 * `afterMs` after it those of its messages the inbound ledger has recorded. A message not
 * recorded by then keeps its plaintext for the next start's recovery (which forgets it
 * if the ledger has it by then). Timers are the connection's: `stop()` at its close.
 */
export class ForgetWhenRecorded {
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(
    private readonly opts: {
      forget: (ids: readonly string[]) => Promise<void>;
      recorded: (message: InboundMessage) => Promise<boolean>;
      onError: (err: unknown) => void;
      afterMs?: number;
    },
  ) {}

  /** Baileys upserted stanzas `ids`; `messages` is what they normalized into. */
  upserted(ids: readonly string[], messages: readonly InboundMessage[]): void {
    const handed = new Set(messages.map((m) => m.id));
    const nothing = ids.filter((id) => !handed.has(id));
    // Acknowledged (Baileys upserts after the receipt) and nothing the ledger will record: not needed now.
    if (nothing.length > 0) this.opts.forget(nothing).catch(this.opts.onError);
    const wait = ids.filter((id) => handed.has(id));
    if (wait.length === 0) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.check(wait, messages).catch(this.opts.onError);
    }, this.opts.afterMs ?? FORGET_AFTER_MS);
    t.unref();
    this.timers.add(t);
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private async check(ids: readonly string[], messages: readonly InboundMessage[]): Promise<void> {
    const byId = new Map(messages.map((m) => [m.id, m]));
    const done: string[] = [];
    for (const id of ids) {
      const m = byId.get(id);
      if (!m || (await this.opts.recorded(m))) done.push(id);
    }
    if (done.length > 0) await this.opts.forget(done);
  }
}
