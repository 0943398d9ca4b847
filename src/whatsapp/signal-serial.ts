/**
 * Encrypt and decrypt of one contact's Signal session run one at a time (issue: the
 * last order flake — a reply re-sent after the next one).
 *
 * Baileys rc14 locks an outbound send under our own id, for the whole send, and its
 * encrypt only writes the contact's `session` into that send's key transaction — saved
 * when the send ends. An inbound decrypt is locked under the contact's jid and reads the
 * saved session. So an encrypt and a decrypt of the same contact could read-modify-write
 * the same session record at once; the later save wins and the other step is lost (the
 * next message then uses a stale chain → `Bad MAC` at the phone → retry receipt → the
 * reply is re-sent out of order).
 *
 * This wraps the repository factory:
 * - the repository gets its own key-transaction layer over the raw key store, so every
 *   repository call commits its session changes when it returns (not when an enclosing
 *   send of Baileys ends);
 * - calls that touch one Signal address (encrypt, decrypt, session injection, deletion;
 *   group encrypt/decrypt per sender key) take a FIFO lock on that address — normalized
 *   the way Baileys names sessions: `user[_domain].device`, a phone-number address
 *   mapped to its LID when the mapping is known. The lock is the outermost thing inside
 *   the repository call and nothing under it waits for a lock of Baileys' socket, so it
 *   cannot deadlock with a send holding Baileys' own transaction.
 */
import { addTransactionCapability, DEFAULT_CONNECTION_CONFIG, jidDecode } from '@whiskeysockets/baileys';
import type { SignalAuthState, SignalRepositoryWithLIDStore, SocketConfig } from '@whiskeysockets/baileys';

type MakeRepository = SocketConfig['makeSignalRepository'];
type KeyStore = SignalAuthState['keys'];

/** FIFO locks by key: `run` calls for one key run one at a time, in call order. */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  get size(): number {
    return this.tails.size;
  }

  /** Runs `fn` holding every key (acquired in sorted order, so two multi-key calls cannot deadlock). */
  async run<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const releases: Array<() => void> = [];
    try {
      for (const key of sorted) releases.push(await this.acquire(key));
      return await fn();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  private async acquire(key: string): Promise<() => void> {
    const before = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = before.then(() => mine);
    this.tails.set(key, tail);
    await before;
    return () => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }
}

/** Wraps a repository factory so one address's session is never changed by two calls at once. */
export function serializeSignal(base: MakeRepository, raw: () => KeyStore, lock = new KeyedLock()): MakeRepository {
  return (auth, logger, pnToLid) => {
    const store = raw();
    // Our own transaction layer: the repository's changes are saved when its call returns.
    const own = store ? addTransactionCapability(store, logger, DEFAULT_CONNECTION_CONFIG.transactionOpts) : auth.keys;
    const repo: SignalRepositoryWithLIDStore = base({ creds: auth.creds, keys: own }, logger, pnToLid);

    /** The session name Baileys stores this jid's session under (PN → LID when mapped). */
    const address = async (jid: string): Promise<string> => {
      const addr = repo.jidToSignalProtocolAddress(jid);
      const decoded = jidDecode(jid);
      if (decoded && (decoded.server === 's.whatsapp.net' || decoded.server === 'c.us' || decoded.server === 'hosted')) {
        const lid = await repo.lidMapping.getLIDForPN(jid).catch(() => null);
        if (lid) return `session:${repo.jidToSignalProtocolAddress(lid)}`;
      }
      return `session:${addr}`;
    };
    const senderKey = (group: string, author: string) => `sender-key:${group}:${repo.jidToSignalProtocolAddress(author)}`;
    const serial = async <T>(keys: Promise<string[]> | string[], fn: () => Promise<T>): Promise<T> => lock.run(await keys, fn);

    return {
      ...repo,
      encryptMessage: (opts) => serial(address(opts.jid).then((a) => [a]), () => repo.encryptMessage(opts)),
      decryptMessage: (opts) => serial(address(opts.jid).then((a) => [a]), () => repo.decryptMessage(opts)),
      injectE2ESession: (opts) => serial(address(opts.jid).then((a) => [a]), () => repo.injectE2ESession(opts)),
      deleteSession: (jids) => serial(Promise.all(jids.map(address)), () => repo.deleteSession(jids)),
      encryptGroupMessage: (opts) => serial([senderKey(opts.group, opts.meId)], () => repo.encryptGroupMessage(opts)),
      decryptGroupMessage: (opts) => serial([senderKey(opts.group, opts.authorJid)], () => repo.decryptGroupMessage(opts)),
      processSenderKeyDistributionMessage: (opts) =>
        serial([senderKey(opts.item.groupId ?? '', opts.authorJid)], () => repo.processSenderKeyDistributionMessage(opts)),
    };
  };
}
