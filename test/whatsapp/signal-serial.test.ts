/**
 * Encrypt and decrypt of one contact's session run one at a time, each saved when it
 * returns — even when the encrypt runs inside a send's own key transaction (Baileys
 * locks a send under our id, a decrypt under the contact's jid).
 */
import { describe, expect, it } from 'vitest';
import { memoryKeys } from '../helpers/memory-keys.js';
import { addTransactionCapability, jidDecode } from '@whiskeysockets/baileys';
import type { SignalAuthState, SignalDataSet, SignalRepositoryWithLIDStore } from '@whiskeysockets/baileys';
import { KeyedLock, serializeSignal } from '../../src/whatsapp/signal-serial.js';
import { until } from '../helpers/until.js';

const logger = { info: () => undefined, warn: () => undefined, error: () => undefined, trace: () => undefined, debug: () => undefined } as never;
const txOpts = { maxCommitRetries: 1, delayBetweenTriesMs: 0 };

/** Baileys' session naming: `user[_1].device` (LID addresses carry their domain). */
function address(jid: string): string {
  const d = jidDecode(jid)!;
  return `${d.server === 'lid' ? `${d.user}_1` : d.user}.${d.device ?? 0}`;
}

/**
 * A repository that, like Baileys' libsignal one, read-modify-writes the address's
 * `session` record inside a key transaction keyed by the jid — and can be held in the
 * middle (between the read and the write) through `gates`.
 */
function counterRepository(auth: SignalAuthState, log: string[], gates: Map<string, Promise<void>>, lids: Record<string, string> = {}) {
  const keys = auth.keys as SignalAuthState['keys'] & { transaction<T>(w: () => Promise<T>, k: string): Promise<T> };
  const bump = (what: string, jid: string) =>
    keys.transaction(async () => {
      const lid = lids[jid.replace(/:\d+@/, '@')];
      const addr = lid ? address(lid) : address(jid);
      log.push(`start ${what} ${addr}`);
      const { [addr]: n } = (await keys.get('session', [addr])) as Record<string, unknown>;
      await gates.get(what);
      await keys.set({ session: { [addr]: ((n as number | undefined) ?? 0) + 1 } } as unknown as SignalDataSet);
      log.push(`end ${what} ${addr}`);
      return Buffer.from(what);
    }, jid);
  return {
    encryptMessage: async ({ jid }: { jid: string }) => ({ type: 'msg', ciphertext: await bump('encrypt', jid) }),
    decryptMessage: ({ jid }: { jid: string }) => bump('decrypt', jid),
    jidToSignalProtocolAddress: address,
    lidMapping: { getLIDForPN: async (pn: string) => lids[pn.replace(/:\d+@/, '@')] ?? null },
  } as unknown as SignalRepositoryWithLIDStore;
}

function gate() {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
}

describe('signal serialization', () => {
  it('a keyed lock runs one key in call order and other keys alongside', async () => {
    const lock = new KeyedLock();
    const order: string[] = [];
    const g = gate();
    const a1 = lock.run(['a'], async () => {
      order.push('a1 start');
      await g.p;
      order.push('a1 end');
    });
    const a2 = lock.run(['a'], async () => void order.push('a2'));
    const b = lock.run(['b'], async () => void order.push('b'));
    await b;
    expect(order).toEqual(['a1 start', 'b']);
    g.open();
    await Promise.all([a1, a2]);
    expect(order).toEqual(['a1 start', 'b', 'a1 end', 'a2']);
    expect(lock.size).toBe(0);
  });

  it('without it an encrypt inside a send loses a concurrent decrypt of the same session (the hazard)', async () => {
    const raw = memoryKeys();
    const socketKeys = addTransactionCapability(raw as never, logger, txOpts);
    const log: string[] = [];
    const send = gate();
    const repo = counterRepository({ creds: {}, keys: socketKeys } as unknown as SignalAuthState, log, new Map());
    // Baileys' relayMessage: one transaction under our own id for the whole send.
    const sending = socketKeys.transaction(async () => {
      await repo.encryptMessage({ jid: '111@s.whatsapp.net', data: Buffer.from('x') });
      await send.p; // the send goes on (usync, sendNode) with the new session unsaved
    }, 'me@s.whatsapp.net');
    await until(() => log.includes('end encrypt 111.0'), 'the encrypt');
    await repo.decryptMessage({ jid: '111:0@s.whatsapp.net', type: 'msg', ciphertext: Buffer.from('y') });
    send.open();
    await sending;
    expect(raw.data.get('session/111.0')).toBe(1); // two steps, one kept: a lost update
  });

  it('encrypt and decrypt of one address (PN, device, or its LID) run one after the other and both are kept', async () => {
    const raw = memoryKeys();
    const socketKeys = addTransactionCapability(raw as never, logger, txOpts);
    const log: string[] = [];
    const hold = gate();
    const send = gate();
    const lids = { '111@s.whatsapp.net': '999@lid' };
    const make = serializeSignal((auth) => counterRepository(auth, log, new Map([['encrypt', hold.p]]), lids), () => raw as never);
    const repo = make({ creds: {}, keys: socketKeys } as unknown as SignalAuthState, logger);
    const sending = socketKeys.transaction(async () => {
      await repo.encryptMessage({ jid: '999:0@lid', data: Buffer.from('x') });
      await send.p;
    }, 'me@s.whatsapp.net');
    await until(() => log.includes('start encrypt 999_1.0'), 'the encrypt to start');
    const decrypting = repo.decryptMessage({ jid: '111@s.whatsapp.net', type: 'msg', ciphertext: Buffer.from('y') });
    // another contact is not held up by the first one's lock
    await repo.decryptMessage({ jid: '222@s.whatsapp.net', type: 'msg', ciphertext: Buffer.from('z') });
    expect(log).toEqual(['start encrypt 999_1.0', 'start decrypt 222.0', 'end decrypt 222.0']);
    hold.open();
    await decrypting;
    expect(log.slice(3)).toEqual(['end encrypt 999_1.0', 'start decrypt 999_1.0', 'end decrypt 999_1.0']);
    // the encrypt's change was saved when it returned, before its send ended
    expect(raw.data.get('session/999_1.0')).toBe(2);
    send.open();
    await sending;
    expect(raw.data.get('session/999_1.0')).toBe(2);
  });
});
