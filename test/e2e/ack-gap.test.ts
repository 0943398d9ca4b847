/**
 * The ack-before-record gap (issue 13), end to end with the real Baileys client and
 * the simulator. Baileys sends a message's delivery receipt before it upserts the
 * message; a gateway that dies in between leaves WhatsApp with the receipt (it never
 * delivers the message again) and the inbound ledger without the message. Here the
 * first gateway's transport loses every chat message after Baileys upserted it — the
 * store then holds what a kill in that gap leaves: the kept plaintext
 * (decrypt-replay.ts), no ledger entry. The next start must recover it
 * (decrypt-recovery.ts) and answer it exactly once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connected, kept, losingMessages, query } from './ack-gap-helpers.js';
import { e2e, echoReplies, OPEN_DMS, until, type E2E } from './harness.js';

const BOT = '+15550009400';

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});



describe('the ack-before-record gap (real Baileys ↔ simulator)', () => {
  it('a message WhatsApp has the receipt for and the ledger never recorded is recovered at the next start and answered once', async () => {
    h = await e2e(OPEN_DMS);
    expect((await h.link('default', BOT)).code).toBe(0);
    const ann = h.sim.contact('+15557774001', { name: 'Ann' });
    const lost: string[] = [];
    await h.startGateway({ wrapTransport: losingMessages(lost) });
    await connected(h);
    const id = await ann.send('did you get this?');
    await until(() => ann.receipts.some((r) => r.type === 'delivery' && r.ids.includes(id)), 'WhatsApp has the delivery receipt');
    await until(() => lost.includes(id), 'Baileys upserted it, and the gateway never saw it');
    await h.stopGateway();
    expect(echoReplies(ann)).toEqual([]);
    expect(query(h, 'SELECT message_id FROM inbound_ledger')).toEqual([]);
    expect(kept(h)).toBe(1);

    // The next start: recovered before the connection goes live, handled through the normal path.
    const gw = await h.startGateway();
    const received: string[] = [];
    gw.bus.on('message.received', (ev) => void received.push(`${ev.message.id} ${ev.message.upsertType} ${ev.message.text}`));
    await connected(h);
    await until(() => echoReplies(ann).length > 0, 'the reply to the recovered message');
    await h.handled(id);
    expect(echoReplies(ann)).toEqual(['echo: did you get this?']);
    await until(() => query<{ state: string }>(h!, 'SELECT state FROM inbound_ledger WHERE message_id = ?', id)[0]?.state === 'replied', 'its ledger entry replied');
    expect(received).toEqual([`${id} append did you get this?`]);
    // Once the ledger has it, its plaintext is no longer kept.
    await until(() => kept(h!) === 0, 'the kept plaintext forgotten');

    // A further restart answers nothing again.
    await h.stopGateway();
    await h.startGateway();
    await connected(h);
    await h.gateway!.bus.idle();
    const later = await ann.send('and this one?');
    await h.handled(later);
    await until(() => echoReplies(ann).length === 2, 'the live reply');
    expect(echoReplies(ann)).toEqual(['echo: did you get this?', 'echo: and this one?']);
  });
});
