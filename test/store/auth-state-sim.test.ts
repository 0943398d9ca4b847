/**
 * The store-backed auth state with the real, unmodified Baileys client against the
 * simulator: link by QR, exchange messages, then — store closed and opened again, a
 * new auth state, a new socket — reconnect without a QR and still decrypt and answer
 * (the Signal sessions came back from the store, not from memory).
 */
import { describe, expect, it } from 'vitest';
import type { SqliteStore } from '../../src/store/sqlite.js';
import { storedCredsLinked, useStoreAuthState, type StoreAuthState } from '../../src/whatsapp/store-auth-state.js';
import type { TestClient } from '../sim/helpers/client.js';
import { ACCOUNT, ACCOUNT_JID, textOf, useWorld } from '../sim/world/fixture.js';
import { tempSqliteStore } from './helpers/temp.js';

const quiet = { warn: () => undefined };

/** Save creds on every creds.update of the client's current socket (as the gateway does). */
function persistCreds(client: TestClient, auth: StoreAuthState): void {
  client.sock!.ev.on('creds.update', () => void auth.saveCreds());
}

describe('Baileys auth state on the store, against the simulator', () => {
  const f = useWorld();

  it('links, answers, and after a restart from the store reconnects without a QR and answers again', async () => {
    const h = await tempSqliteStore();
    try {
      const first = await useStoreAuthState({ store: h.store, accountId: 'default', log: quiet });
      expect(first.source).toBe('fresh');
      const c1 = f.client({ auth: { state: first.state } });
      await c1.link((qr) => f.sim.phone(ACCOUNT).scanQr(qr));
      persistCreds(c1, first);
      await expect.poll(() => first.state.creds.accountSyncCounter ?? 0, { timeout: 5000, interval: 20 }).toBeGreaterThan(0);
      await first.saveCreds();

      const alice = f.sim.contact('+15551112222', { name: 'Alice' });
      const in1 = await alice.send('hello before the restart');
      const up1 = await c1.upserts.next((u) => u.messages.some((m) => m.key.id === in1), 5000, 'first message');
      expect(textOf(up1.messages.find((m) => m.key.id === in1)!)).toBe('hello before the restart');
      await c1.sock!.sendMessage(alice.jid, { text: 'hi Alice' });
      const got1 = await alice.nextMessage();
      expect(got1.message.conversation ?? got1.message.extendedTextMessage?.text).toBe('hi Alice');

      const keyCounts = await h.store.keys.count('default');
      expect(keyCounts['pre-key'] ?? 0).toBeGreaterThan(0);
      expect(keyCounts.session ?? 0).toBeGreaterThan(0);
      expect(await storedCredsLinked(h.store, 'default')).toMatchObject({ linked: true, meId: expect.stringMatching(/^15550000001:\d+@s\.whatsapp\.net$/) });

      // Restart: the socket ends, the store closes and opens again, nothing is kept in memory.
      await c1.end();
      await first.saveCreds();
      const store = (await h.reopen()) as SqliteStore;
      const second = await useStoreAuthState({ store, accountId: 'default', log: quiet });
      expect(second.source).toBe('store');
      expect(second.state.creds.me?.id).toBe(first.state.creds.me?.id);

      const c2 = f.client({ auth: { state: second.state } });
      c2.connect();
      persistCreds(c2, second);
      await c2.waitOpen();
      expect(c2.updates.items.some((u) => u.qr)).toBe(false);

      const in2 = await alice.send('hello after the restart');
      const up2 = await c2.upserts.next((u) => u.messages.some((m) => m.key.id === in2), 5000, 'message after the restart');
      const m2 = up2.messages.find((m) => m.key.id === in2)!;
      expect(textOf(m2)).toBe('hello after the restart');
      expect(m2.key.remoteJid).toBe(alice.jid);
      // a 'msg', not a 'pkmsg': decrypted with the Signal session the store kept
      const enc2 = c2.frames.items.find((n) => n.tag === 'message' && n.attrs.id === in2);
      expect(Array.isArray(enc2?.content) ? enc2.content[0]?.attrs.type : undefined).toBe('msg');
      const sent = await c2.sock!.sendMessage(alice.jid, { text: 'still here' });
      const got = await alice.nextMessage();
      expect(got.id).toBe(sent!.key.id);
      expect(got.message.conversation ?? got.message.extendedTextMessage?.text).toBe('still here');
      expect(f.sim.primaryPhone(ACCOUNT_JID).inbox.some((m) => m.id === sent!.key.id)).toBe(true);
      await c2.end();
    } finally {
      await h.cleanup();
    }
  });
});
