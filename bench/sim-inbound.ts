/**
 * Inbound throughput against the simulator: how many messages per second one real
 * Baileys client receives and decrypts. Each contact's first message is a `pkmsg`;
 * after the account has answered every contact, the rest are `msg`. Stanzas are
 * encrypted before the clock starts, so the figure is the client's, not the
 * simulator's.
 *
 *   npx tsx bench/sim-inbound.ts [contacts=50] [perContact=20]
 */
import { Agent } from 'node:https';
import type { BinaryNode } from '@whiskeysockets/baileys';
import { startSimulator } from '../src/sim/index.js';
import { directStanza } from '../src/sim/world/messages.js';
import { TestClient } from '../test/sim/helpers/client.js';
import { runIfMain } from './main.js';

export interface SimInboundResult {
  contacts: number;
  perContact: number;
  /** Messages per second for the first (pkmsg) message of every contact. */
  pkmsgPerSecond: number;
  /** Messages per second for the following (msg) messages. */
  msgPerSecond: number;
  /** All inbound messages over the time spent receiving them. */
  messagesPerSecond: number;
}

const ACCOUNT = '+15550000001';

export async function benchSimInbound({ contacts = 50, perContact = 20 } = {}): Promise<SimInboundResult> {
  const sim = await startSimulator({ port: 0, host: '127.0.0.1' });
  const fetchAgent = new Agent({ rejectUnauthorized: false });
  const client = new TestClient(sim.url, { config: { fetchAgent } });
  try {
    await client.link((qr) => sim.phone(ACCOUNT).scanQr(qr), 15_000);
    const companion = await sim.hub.waitOnline('15550000001', 15_000);
    const deadline = Date.now() + 10_000;
    while (!(client.auth.state.creds.accountSyncCounter ?? 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const people = Array.from({ length: contacts }, (_, i) => sim.contact(`+1555200${String(i).padStart(4, '0')}`, { name: `C${i}` }));

    const seen = new Set<string>();
    client.sock!.ev.on('messages.upsert', (u) => u.messages.forEach((m) => m.key.id && seen.add(m.key.id)));
    const build = async (count: number): Promise<BinaryNode[]> => {
      const out: BinaryNode[] = [];
      for (const p of people) {
        for (let k = 0; k < count; k++) {
          out.push(await directStanza(p, companion, { conversation: `bench ${p.pnUser} ${k}` }, { id: sim.hub.nextId(), t: Math.floor(Date.now() / 1000) }));
        }
      }
      return out;
    };
    const deliverAndWait = async (stanzas: BinaryNode[]): Promise<number> => {
      const ids = stanzas.map((s) => s.attrs.id!);
      const start = performance.now();
      for (const s of stanzas) sim.hub.deliver(companion.user, s);
      const limit = Date.now() + 120_000;
      while (!ids.every((id) => seen.has(id))) {
        if (Date.now() > limit) throw new Error(`bench: only ${ids.filter((id) => seen.has(id)).length}/${ids.length} arrived`);
        await new Promise((r) => setImmediate(r));
      }
      return performance.now() - start;
    };

    const first = await build(1);
    const pkmsgMs = await deliverAndWait(first);
    // the account answers each contact once, confirming the sessions: msg from then on
    for (const p of people) await client.sock!.sendMessage(p.jid, { text: 'ok' });
    for (const p of people) await p.nextMessage(10_000);
    const rest = await build(perContact - 1);
    const msgMs = rest.length ? await deliverAndWait(rest) : 0;
    const total = first.length + rest.length;
    return {
      contacts,
      perContact,
      pkmsgPerSecond: Math.round((first.length / pkmsgMs) * 1000),
      msgPerSecond: rest.length ? Math.round((rest.length / msgMs) * 1000) : 0,
      messagesPerSecond: Math.round((total / (pkmsgMs + msgMs)) * 1000),
    };
  } finally {
    await client.end();
    fetchAgent.destroy();
    await sim.close();
  }
}

runIfMain(import.meta.url, async () => {
  const [contacts, perContact] = process.argv.slice(2).map(Number);
  return `${JSON.stringify(await benchSimInbound({ contacts: contacts || 50, perContact: perContact || 20 }))}\n`;
});
