/**
 * A message decrypted once can be decrypted again (issue 13: no message lost).
 *
 * Baileys handles an inbound message as: decrypt (the Signal ratchet moves on and is
 * saved) → send the delivery receipt → `messages.upsert`. When the socket closes
 * between the decrypt and the receipt (a 500/515/428 drop, a kill), the receipt throws
 * "Connection Closed", the message is never upserted — so never reaches the inbound
 * ledger — and WhatsApp, having no receipt, delivers the same stanza again on the next
 * connection. Its decryption then fails with "Key used already or never filled" (the
 * ratchet already used that key), which Baileys takes for a duplicate and drops
 * without a retry receipt: the message is lost for good.
 *
 * This wraps the Signal repository: every successful decryption of a 1:1 or group
 * message also keeps its plaintext in the key store, under the SHA-256 of the
 * ciphertext, in the same key transaction as the ratchet's move (both are saved or
 * neither). A decryption that fails for a ciphertext already decrypted returns the kept
 * plaintext, so the re-delivered copy is handled like the first (the ledger dedupes it
 * if the first had reached it). `forget(ids)` — called once a message upserted was
 * recorded in the inbound ledger — removes the kept plaintexts of the stanzas seen with
 * those ids (`seen`, from the socket's frames), so the store only keeps those whose
 * handling was cut short.
 *
 * Each kept plaintext also carries its stanza's attributes (id, from, participant, t,
 * notify, offline…): Baileys sends the delivery receipt right after the decryption (the
 * key transaction, plaintext included, is committed before it) and upserts the message
 * only afterwards, so a gateway killed in between has a kept plaintext and no ledger
 * entry, and WhatsApp will not deliver the message again. decrypt-recovery.ts rebuilds
 * such messages at the next start.
 */
import { createHash } from 'node:crypto';
import type { SignalAuthState, SignalDataSet, SignalRepositoryWithLIDStore, SocketConfig } from '@whiskeysockets/baileys';

/** The key-store category the plaintexts are kept under. */
export const DECRYPTED_CATEGORY = 'wagate-decrypted';

/** At most this many stanza ids are remembered per process for `forget` (oldest dropped first). */
const SEEN_MAX = 5_000;

/**
 * What is kept per ciphertext (the stored value). Older versions kept the base64
 * plaintext alone (a string): still replayed, never recovered (no stanza).
 */
export interface KeptDecryption {
  /** The plaintext as the repository returned it (padded), base64. */
  p: string;
  /** The attributes of the `<message>` stanza it came in; absent when the stanza was not seen. */
  s?: Record<string, string>;
  /** Which of the stanza's encrypted children it was (0-based, document order). */
  i?: number;
  /** Its encryption type (`pkmsg`, `msg`, `skmsg`). */
  e?: string;
  /** When it was decrypted (ms since the epoch). */
  at: number;
  /**
   * When its stanza arrived on the socket (ms since the epoch) and its arrival number on
   * that connection: the socket's order, which recovery keeps (Baileys decrypts the
   * stanzas of different senders concurrently, so decryption times may not be in it).
   */
  sa?: number;
  sn?: number;
}

/** The kept value's plaintext, whichever format it was written in. */
export function keptPlaintext(value: unknown): Buffer | null {
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  if (value && typeof value === 'object' && typeof (value as KeptDecryption).p === 'string') return Buffer.from((value as KeptDecryption).p, 'base64');
  return null;
}

interface SeenPart {
  attrs: Record<string, string>;
  index: number;
  type: string;
  /** Arrival time and number of its stanza (see KeptDecryption). */
  seenAt: number;
  seq: number;
}

export function ciphertextKey(ciphertext: Uint8Array): string {
  return createHash('sha256').update(ciphertext).digest('base64url');
}

type MakeRepository = SocketConfig['makeSignalRepository'];
type KeyStore = SignalAuthState['keys'];

export class DecryptReplay {
  /** Stanza id → the ciphertext keys of its `<enc>` children. */
  private readonly byId = new Map<string, string[]>();
  /** Ciphertext key → the stanza it came in (kept with the plaintext). */
  private readonly parts = new Map<string, SeenPart>();
  /** Plaintexts returned from the store instead of a failed decryption. */
  replayed = 0;
  /** Stanzas seen so far (their arrival numbers). */
  private seenCount = 0;

  constructor(
    private readonly keys: () => KeyStore | null,
    private readonly now: () => number = Date.now,
  ) {}

  /** Wraps Baileys' repository factory (the default when `base` is not given). */
  wrap(base: MakeRepository): MakeRepository {
    return (auth, logger, pnToLid) => {
      const repo: SignalRepositoryWithLIDStore = base(auth, logger, pnToLid);
      const keys = auth.keys;
      const kept = async (ciphertext: Uint8Array, txKey: string, decrypt: () => Promise<Uint8Array>): Promise<Uint8Array> => {
        const key = ciphertextKey(ciphertext);
        try {
          const work = async () => {
            const plain = await decrypt();
            const part = this.parts.get(key);
            const value: KeptDecryption = { p: Buffer.from(plain).toString('base64'), at: this.now(), ...(part ? { s: part.attrs, i: part.index, e: part.type, sa: part.seenAt, sn: part.seq } : {}) };
            // In the decryption's own key transaction: committed (with the ratchet's move) before Baileys sends the receipt.
            await keys.set({ [DECRYPTED_CATEGORY]: { [key]: value } } as unknown as SignalDataSet);
            return plain;
          };
          return await ('transaction' in keys ? keys.transaction(work, txKey) : work());
        } catch (err) {
          const found = (await keys.get(DECRYPTED_CATEGORY as never, [key]).catch(() => ({}))) as Record<string, unknown>;
          const plain = keptPlaintext(found[key]);
          if (!plain) throw err;
          this.replayed += 1;
          logger.info({ err: (err as Error).message }, 'a message decrypted before came again: using its kept plaintext');
          return plain;
        }
      };
      return {
        ...repo,
        decryptMessage: (opts) => kept(opts.ciphertext, opts.jid, () => repo.decryptMessage(opts)),
        decryptGroupMessage: (opts) => kept(opts.msg, opts.group, () => repo.decryptGroupMessage(opts)),
      };
    };
  }

  /** A `<message>` stanza arrived (before Baileys handles it): remember its ciphertexts by id. */
  seen(node: unknown): void {
    const n = node as { tag?: string; attrs?: Record<string, string>; content?: unknown };
    const id = n.attrs?.id;
    if (n.tag !== 'message' || !id || !Array.isArray(n.content)) return;
    const keys: string[] = [];
    const attrs = { ...n.attrs };
    const seenAt = this.now();
    const seq = ++this.seenCount;
    for (const c of n.content as Array<{ tag?: string; attrs?: Record<string, string>; content?: unknown }>) {
      if (c.tag !== 'enc' || !(c.content instanceof Uint8Array)) continue;
      const key = ciphertextKey(c.content);
      this.parts.set(key, { attrs, index: keys.length, type: c.attrs?.type ?? '', seenAt, seq });
      keys.push(key);
    }
    if (keys.length === 0) return;
    this.byId.set(id, keys);
    if (this.byId.size > SEEN_MAX) {
      const oldest = this.byId.keys().next().value!;
      for (const k of this.byId.get(oldest) ?? []) this.parts.delete(k);
      this.byId.delete(oldest);
    }
  }

  /** A message recovered at start (decrypt-recovery.ts): its kept parts are forgotten by id like a live one's. */
  adopt(id: string, keys: readonly string[]): void {
    this.byId.set(id, [...keys]);
  }

  /** These messages are in the inbound ledger (or were nothing to record): their kept plaintexts are no longer needed. */
  forget(ids: readonly string[]): Promise<void> {
    const drop: Record<string, null> = {};
    for (const id of ids) {
      for (const k of this.byId.get(id) ?? []) {
        drop[k] = null;
        this.parts.delete(k);
      }
      this.byId.delete(id);
    }
    const store = this.keys();
    if (!store || Object.keys(drop).length === 0) return Promise.resolve();
    return Promise.resolve(store.set({ [DECRYPTED_CATEGORY]: drop } as unknown as SignalDataSet));
  }
}
