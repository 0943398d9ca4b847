/**
 * In order per chat when WhatsApp's offline backlog and live messages interleave
 * (issue 13 item 4), end to end: real Baileys, the simulator delivering part of the
 * offline queue, then live messages, then the rest of the queue and its marker.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SimContact } from '../../src/sim/index.js';
import { e2e, echoReplies, OPEN_DMS, until, type E2E } from './harness.js';

const BOT = '+15550009100';
const BOT_USER = BOT.slice(1);

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const texts = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `message ${from + i}`);

async function connected(e: E2E) {
  const gw = e.gateway!;
  await until(() => gw.accounts.get('default')!.state === 'connected', 'gateway connected');
}

async function sendAll(c: SimContact, list: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const t of list) ids.push(await c.send(t));
  return ids;
}

describe('in order per chat (real Baileys ↔ simulator)', () => {
  it('40 messages from one contact, 30–35 offline while 36–40 arrive live: the 40 replies come in order, once each', async () => {
    h = await e2e(OPEN_DMS);
    expect((await h.link('default', BOT)).code).toBe(0);
    const ivy = h.sim.contact('+15557772001', { name: 'Ivy' });
    await h.startGateway();
    await connected(h);
    // The first message sets up the contact's Signal session; the burst comes after its
    // reply (a burst of session-opening messages is another scenario: see the README's
    // known limits), so what is measured here is the offline/live interleaving below.
    await sendAll(ivy, texts(1, 1));
    await until(() => echoReplies(ivy).length === 1, 'the first reply', 30_000);
    await sendAll(ivy, texts(2, 29));
    await until(() => echoReplies(ivy).length === 29, 'the 29 live replies', 30_000);
    await h.stopGateway();
    await until(() => h!.sim.hub.companions.get(BOT_USER)?.online === false, 'the companion offline');

    await sendAll(ivy, texts(30, 35)); // queued by WhatsApp for the offline device
    // The next login gets 30–31 of the backlog; 32–35 and the end marker come later.
    const hold = h.sim.holdOffline(BOT_USER, 2);
    await h.startGateway();
    await hold.started;
    const live = await sendAll(ivy, texts(36, 40)); // delivered live, before 32–35
    // Baileys decrypted the live ones (the phone has their delivery receipts) before the backlog's rest arrives.
    await until(() => live.every((id) => ivy.receipts.some((r) => r.ids.includes(id))), 'delivery receipts of 36–40');
    hold.release();
    await connected(h);
    await until(() => echoReplies(ivy).length >= 40, 'all 40 replies', 30_000);
    await h.gateway!.bus.idle();
    expect(echoReplies(ivy)).toEqual(texts(1, 40).map((t) => `echo: ${t}`));
  }, 90_000);

  it('a burst of a new contact’s first 30 messages (all session-opening): answered in order, once each', async () => {
    h = await e2e(OPEN_DMS);
    expect((await h.link('default', BOT)).code).toBe(0);
    const lou = h.sim.contact('+15557772004', { name: 'Lou' });
    await h.startGateway();
    await connected(h);
    // No message of ours reaches Lou before the burst is sent: every one opens the session (pkmsg).
    await sendAll(lou, texts(1, 30));
    await until(() => echoReplies(lou).length >= 30, 'all 30 replies', 60_000);
    await h.gateway!.bus.idle();
    expect(echoReplies(lou)).toEqual(texts(1, 30).map((t) => `echo: ${t}`));
  }, 90_000);

  it('a live message of a chat without backlog is held only until the backlog is done, then answered', async () => {
    h = await e2e(OPEN_DMS);
    expect((await h.link('default', BOT)).code).toBe(0);
    const jon = h.sim.contact('+15557772002', { name: 'Jon' });
    const kim = h.sim.contact('+15557772003', { name: 'Kim' });
    await h.startGateway();
    await connected(h);
    await h.stopGateway();
    await until(() => h!.sim.hub.companions.get(BOT_USER)?.online === false, 'the companion offline');
    await sendAll(jon, ['jon 1', 'jon 2', 'jon 3']);
    const hold = h.sim.holdOffline(BOT_USER, 1);
    await h.startGateway();
    await hold.started;
    const [kimId] = await sendAll(kim, ['kim live']);
    const [jonLive] = await sendAll(jon, ['jon 4 live']);
    await until(() => [kimId, jonLive].every((id) => [...kim.receipts, ...jon.receipts].some((r) => r.ids.includes(id!))), 'delivery receipts');
    // Held, not answered, while the backlog is not done.
    expect(echoReplies(kim)).toEqual([]);
    expect(echoReplies(jon).filter((r) => r !== 'echo: jon 1')).toEqual([]);
    hold.release();
    await until(() => echoReplies(jon).length === 4 && echoReplies(kim).length === 1, 'all replies', 20_000);
    await h.gateway!.bus.idle();
    expect(echoReplies(jon)).toEqual(['echo: jon 1', 'echo: jon 2', 'echo: jon 3', 'echo: jon 4 live']);
    expect(echoReplies(kim)).toEqual(['echo: kim live']);
  }, 60_000);
});
