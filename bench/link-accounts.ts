/**
 * Links `n` accounts against a running simulator once and leaves their creds in
 * Baileys' own file layout, `<home>/credentials/whatsapp/<id>/` (written by
 * `useMultiFileAuthState`): the bare Baileys sides open them as they are; a gateway
 * started on `<home>` imports them into its store once (and moves them aside).
 */
import path from 'node:path';
import { useMultiFileAuthState } from '@whiskeysockets/baileys';
import type { SimServer } from '../src/sim/server/server.js';
import { TestClient } from '../test/sim/helpers/client.js';

export interface LinkedAccount {
  id: string;
  e164: string;
  dir: string;
}

export function benchAccountIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `a${i}`);
}

export function authDirOf(home: string, id: string): string {
  return path.join(home, 'credentials', 'whatsapp', id);
}

/** Links every account at once (QR → pair-success → 515 → open), then closes them with creds saved. */
export async function linkAccounts(sim: Pick<SimServer, 'url' | 'phone'>, home: string, n: number): Promise<LinkedAccount[]> {
  const accounts = benchAccountIds(n).map((id, i) => ({ id, e164: `+1555300${String(i).padStart(4, '0')}`, dir: authDirOf(home, id) }));
  await Promise.all(
    accounts.map(async (acc) => {
      const store = await useMultiFileAuthState(acc.dir);
      const client = new TestClient(sim.url, { auth: { state: store.state } });
      try {
        await client.link((qr) => sim.phone(acc.e164).scanQr(qr), 120_000);
      } finally {
        await client.end();
      }
      // Baileys merges every creds.update into state.creds; keys went through the store already.
      await store.saveCreds();
      if (!store.state.creds.me) throw new Error(`linking ${acc.id} saved no identity`);
    }),
  );
  return accounts;
}
