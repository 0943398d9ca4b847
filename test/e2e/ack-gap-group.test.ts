/**
 * The ack-before-record gap (issue 13) for group messages, end to end with the real
 * Baileys client and the simulator. A member's group messages come with sender keys
 * (`skmsg`; the first one from a member also carries the sender-key distribution in a
 * `pkmsg` part), so a kept plaintext is one or two parts of one stanza
 * (decrypt-replay.ts keeps each, decrypt-recovery.ts puts them back together). As in
 * ack-gap.test.ts, the first gateway's transport loses every chat message after
 * Baileys upserted it — what a kill in that gap leaves: WhatsApp has the receipts, the
 * ledger has nothing. The next start must recover both group messages: the one
 * without a mention is gated (history for the agent), the @mention is answered once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connected, kept, losingMessages, query } from './ack-gap-helpers.js';
import { e2e, echoReplies, until, type E2E } from './harness.js';

const BOT = '+15550009410';
const GROUPS = { channels: { whatsapp: { dmPolicy: 'open' as const, allowFrom: ['*'], groupPolicy: 'open' as const } }, web: { catchUpMinutes: 30 } };

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const stateOf = (e: E2E, id: string) => query<{ state: string }>(e, 'SELECT state FROM inbound_ledger WHERE message_id = ?', id)[0]?.state;

describe('the ack-before-record gap for group messages (real Baileys ↔ simulator)', () => {
  it('a group @mention WhatsApp has the receipt for and the ledger never recorded is recovered at the next start and answered once', async () => {
    h = await e2e(GROUPS);
    expect((await h.link('default', BOT)).code).toBe(0);
    const carol = h.sim.contact('+15557774101', { name: 'Carol' });
    const dave = h.sim.contact('+15557774102', { name: 'Dave' });
    const team = h.sim.group({ subject: 'Team', participants: [carol, dave] });
    const lost: string[] = [];
    const gw1 = await h.startGateway({ wrapTransport: losingMessages(lost) });
    await connected(h);
    const bot = gw1.accounts.get('default')!.context.identity!.jid.split(':')[0]!;

    // Carol's first group message carries her sender key (a pkmsg part and the skmsg);
    // Dave's first one too; Carol's mention is an skmsg alone.
    const lunch = await team.send(carol, 'lunch at noon?');
    const sure = await team.send(dave, 'sure');
    const mention = await team.send(carol, `@${bot} what do you think?`, { mentions: [`${bot}@s.whatsapp.net`] });
    for (const [who, id] of [[carol, lunch], [dave, sure], [carol, mention]] as const) {
      await until(() => who.receipts.some((r) => r.type === 'delivery' && r.ids.includes(id)), `WhatsApp has the delivery receipt of ${id}`);
    }
    await until(() => [lunch, sure, mention].every((id) => lost.includes(id)), 'Baileys upserted them, and the gateway never saw them');
    await h.stopGateway();
    expect(team.inbox).toEqual([]);
    expect(query(h, 'SELECT message_id FROM inbound_ledger')).toEqual([]);
    // Five parts kept: each first message's distribution part and skmsg, and the mention's skmsg.
    expect(kept(h)).toBe(5);

    // The next start: recovered before the connection goes live, handled through the normal path.
    const gw = await h.startGateway();
    const received: string[] = [];
    gw.bus.on('message.received', (ev) =>
      void received.push(`${ev.message.id} ${ev.message.upsertType} ${ev.message.chatJid} ${ev.message.text}${ev.message.mentions.length ? ' @' : ''}`),
    );
    await connected(h);
    expect((await h.handled(lunch)).type).toBe('message.gated');
    expect((await h.handled(sure)).type).toBe('message.gated');
    expect((await h.handled(mention)).type).toBe('message.accepted');
    await until(() => echoReplies(team).length > 0, 'the reply to the recovered mention');
    expect(echoReplies(team)).toEqual([`echo: @${bot} what do you think?`]);
    await until(() => stateOf(h!, mention) === 'replied', 'the mention replied in the ledger');
    expect(stateOf(h, lunch)).toBe('gated');
    expect(stateOf(h, sure)).toBe('gated');
    expect(received).toEqual([
      `${lunch} append ${team.jid} lunch at noon?`,
      `${sure} append ${team.jid} sure`,
      `${mention} append ${team.jid} @${bot} what do you think? @`,
    ]);
    // Once the ledger has them, their plaintexts are no longer kept.
    await until(() => kept(h!) === 0, 'the kept plaintexts forgotten');

    // A further restart answers nothing again, and the group's sender keys still work.
    await h.stopGateway();
    await h.startGateway();
    await connected(h);
    await h.gateway!.bus.idle();
    const again = await team.send(dave, `@${bot} still there?`, { mentions: [`${bot}@s.whatsapp.net`] });
    expect((await h.handled(again)).type).toBe('message.accepted');
    await until(() => echoReplies(team).length === 2, 'the live reply');
    expect(echoReplies(team)).toEqual([`echo: @${bot} what do you think?`, `echo: @${bot} still there?`]);
  });
});
