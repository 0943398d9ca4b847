import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimContact } from '../../src/sim/index.js';
import { runCli } from '../helpers/cli.js';
import { e2e, settled, until, type E2E, textOf } from './harness.js';

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const BOT = '+15550003000';

/** Resolves with the texts a contact received after `from` once `n` have arrived. */
async function texts(c: SimContact, from: number, n: number, timeoutMs = 10_000): Promise<string[]> {
  await until(() => c.inbox.filter((m) => textOf(m)).length >= from + n, `${n} message(s) for ${c.jid}`, timeoutMs);
  return c.inbox.map(textOf).filter(Boolean).slice(from);
}

/** The replies the gateway asked to send to a chat (every outbound text goes through reply.requested). */
function repliesTo(h: E2E, chatJid: string): string[] {
  return h.of('reply.requested').filter((r) => r.chatJid === chatJid).map((r) => r.text);
}

async function start(config: Parameters<typeof e2e>[0]) {
  h = await e2e(config);
  const gw = await h.startGateway();
  expect((await h.link('default', BOT)).code).toBe(0);
  await until(() => gw.accounts.get('default')!.state === 'connected', 'connected');
  return { h, gw };
}

const OPEN = { dmPolicy: 'open' as const, allowFrom: ['*'] };

describe('the conversation loop end to end (real Baileys ↔ simulator)', () => {
  it('an unknown contact receives exactly one pairing code; after approve, its next message is answered', async () => {
    const { h } = await start({});
    const eve = h.sim.contact('+15557770001', { name: 'Eve' });
    await eve.send('hello?');
    const [code] = await texts(eve, 0, 1);
    expect(code).toContain('+15557770001');
    const m = /wagate pairing approve whatsapp ([A-Z2-9]{8})/.exec(code!);
    expect(m).not.toBeNull();
    const again = await eve.send('anyone there?');
    expect((await h.handled(again)).type).toBe('pairing.needed');
    expect(repliesTo(h, eve.jid)).toHaveLength(1); // the code, once
    expect(eve.inbox.map(textOf).filter(Boolean)).toHaveLength(1);

    const approved = await runCli(['pairing', 'approve', 'whatsapp', m![1]!.toLowerCase()], h.env);
    expect(approved.code).toBe(0);
    await eve.send('now?');
    expect(await texts(eve, 1, 1)).toEqual(['echo: now?']);
  });

  it('the read receipt and the ack reaction reach the contact before the reply', async () => {
    const { h } = await start({ channels: { whatsapp: { ...OPEN, ackReaction: { emoji: '👀' } } } });
    const alice = h.sim.contact('+15557770002', { name: 'Alice' });
    const id = await alice.send('ping');
    expect(await texts(alice, 0, 1)).toEqual(['echo: ping']);
    const reply = alice.inbox.find((m) => textOf(m) === 'echo: ping')!;
    const read = alice.receipts.find((r) => r.type === 'read' && r.ids.includes(id));
    const ack = alice.reactions.find((r) => r.id === id);
    expect(read).toBeDefined();
    expect(ack?.emoji).toBe('👀');
    expect(read!.at).toBeLessThanOrEqual(reply.at);
    expect(ack!.at).toBeLessThanOrEqual(reply.at);
  });

  it('replies to a contact issue our privacy token to WhatsApp once, not once per message', async () => {
    // Baileys rc14 loses its record of the issuance (see persistPrivacyTokens) and
    // would send one `privacy set tokens` iq per reply.
    const { h } = await start({ channels: { whatsapp: OPEN } });
    const ann = h.sim.contact('+15557770005', { name: 'Ann' });
    for (let i = 0; i < 4; i++) {
      await ann.send(`m${i}`);
      await texts(ann, i, 1);
    }
    expect(await texts(ann, 0, 4)).toEqual(['echo: m0', 'echo: m1', 'echo: m2', 'echo: m3']);
    expect(h.sim.hub.companions.get(BOT.slice(1))!.iqs['privacy set tokens']).toBe(1);
  });

  it('a 9,000-character reply arrives as 3 messages', async () => {
    const { h } = await start({ channels: { whatsapp: OPEN } });
    const bob = h.sim.contact('+15557770003', { name: 'Bob' });
    const long = Array.from({ length: 1000 }, (_, i) => `w${String(i).padStart(7, '0')}`).join(' ');
    expect(long.length).toBe(8999);
    await bob.send(long);
    const got = await texts(bob, 0, 3);
    expect(got).toHaveLength(3);
    expect(got.every((t) => t.length <= 4000)).toBe(true);
    expect(got.join(' ')).toBe(`echo: ${long}`);
  });

  it('group: no reply without a mention; with one, a reply, and the agent saw the skipped messages as history', async () => {
    const log = path.join(process.env.TMPDIR ?? '/tmp', `wagate-agent-${process.pid}-${Date.now()}.jsonl`);
    const script = `let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{require('fs').appendFileSync(${JSON.stringify(log)},JSON.stringify(JSON.parse(s))+'\\n');process.stdout.write('seen it')})`;
    const { h, gw } = await start({
      channels: { whatsapp: { groupPolicy: 'open', ...OPEN } },
      agents: { list: [{ id: 'main', model: { provider: 'command', command: [process.execPath, '-e', script] } }] },
    });
    try {
      const carol = h.sim.contact('+15557770004', { name: 'Carol' });
      const dave = h.sim.contact('+15557770005', { name: 'Dave' });
      const team = h.sim.group({ subject: 'Team', participants: [carol, dave] });
      const lunch = await team.send(carol, 'lunch at noon?');
      const sure = await team.send(dave, 'sure');
      expect((await h.handled(lunch)).type).toBe('message.gated');
      expect((await h.handled(sure)).type).toBe('message.gated');
      expect(repliesTo(h, team.jid)).toEqual([]);
      expect(team.inbox).toHaveLength(0);
      const bot = gw.accounts.get('default')!.context.identity!.jid.split(':')[0]!;
      await team.send(carol, `@${bot} what do you think?`, { mentions: [`${bot}@s.whatsapp.net`] });
      await until(() => team.inbox.length >= 1, 'group reply');
      expect(textOf(team.inbox[0]!)).toBe('seen it');
      expect(repliesTo(h, team.jid)).toEqual(['seen it']);
      const runs = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(runs).toHaveLength(1);
      const body: string = runs[0].envelope.Body;
      expect(body).toContain('[Chat messages since your last reply - for context]');
      expect(body).toContain('lunch at noon?');
      expect(body).toContain('sure');
      expect(body).toContain('[Current message - respond to this]');
      expect(body.indexOf('sure')).toBeLessThan(body.indexOf('[Current message - respond to this]'));
      expect(body).toContain('what do you think?');
    } finally {
      fs.rmSync(log, { force: true });
    }
  });

  it('a gateway restart does not answer an already-answered message again', async () => {
    const { h } = await start({ channels: { whatsapp: OPEN } });
    const frank = h.sim.contact('+15557770006', { name: 'Frank' });
    const id = await frank.send('once');
    expect(await texts(frank, 0, 1)).toEqual(['echo: once']);
    await h.stopGateway();
    const gw = await h.startGateway();
    await until(() => gw.accounts.get('default')!.state === 'connected', 'reconnected');
    await frank.sendMessage({ conversation: 'once' }, { id }); // WhatsApp redelivers the same message
    expect(await h.handled(id)).toMatchObject({ type: 'message.dropped', payload: { reason: 'duplicate' } });
    const twice = await frank.send('twice');
    expect((await h.handled(twice)).type).toBe('message.accepted');
    expect(repliesTo(h, frank.jid)).toEqual(['echo: twice']); // this gateway answered "twice" only
    expect(await texts(frank, 1, 1)).toEqual(['echo: twice']);
    expect(frank.inbox.map(textOf).filter(Boolean)).toEqual(['echo: once', 'echo: twice']);
  });

  it('a message sent while the account was disconnected is answered after the reconnect; one older than the catch-up window is not', async () => {
    const { h, gw } = await start({ channels: { whatsapp: OPEN }, web: { catchUpMinutes: 30 } });
    const rt = gw.accounts.get('default')!;
    const gina = h.sim.contact('+15557770007', { name: 'Gina' });
    await gina.send('warm up');
    await texts(gina, 0, 1);
    h.sim.drop(BOT);
    await until(() => rt.state === 'backing-off', 'backing-off');
    h.skew.ms = -45 * 60_000; // stamped 45 minutes ago: outside the 30-minute window
    const old = await gina.send('from long ago');
    h.skew.ms = 0;
    const during = await gina.send('during the drop');
    h.clock.increment(30_000); // the retry timer fires
    await until(() => rt.state === 'connected', 'reconnected');
    expect(await h.handled(old)).toMatchObject({ type: 'message.dropped', payload: { reason: expect.stringMatching(/^catch-up:/) } });
    expect((await h.handled(during)).type).toBe('message.accepted');
    expect(repliesTo(h, gina.jid)).toEqual(['echo: warm up', 'echo: during the drop']);
    expect(await texts(gina, 1, 1)).toEqual(['echo: during the drop']);
    expect(gina.inbox.map(textOf).filter(Boolean)).toEqual(['echo: warm up', 'echo: during the drop']);
  });
});

describe('self-chat end to end (real Baileys ↔ simulator)', () => {
  it('the owner writes in "Message yourself": the reply carries the prefix and causes no loop', async () => {
    const { h, gw } = await start({ channels: { whatsapp: { selfChatMode: true, allowFrom: [BOT] } } });
    const phone = h.sim.primaryPhone(BOT);
    const accepted: string[] = [];
    gw.bus.on('message.accepted', (e) => void accepted.push(e.message.text));
    await phone.sendToSelf('note to self');
    await until(() => phone.inbox.some((m) => textOf(m).includes('echo: note to self')), 'self-chat reply on the phone');
    // The phone is both the recipient and an own device, so it may get one message
    // twice: count distinct messages.
    const replies = () => [...new Map(phone.inbox.filter((m) => textOf(m).includes('echo:')).map((m) => [m.id, textOf(m)])).values()];
    expect(replies()).toEqual(['[wagate] echo: note to self']);
    // Had Baileys handed our own send back as a message, it would have been on the
    // bus while the reply was being sent: once everything settled, it would show.
    await settled(gw);
    expect(h.of('message.received').map((e) => e.message.text)).toEqual(['note to self']);
    expect(accepted).toEqual(['note to self']); // our reply was not taken for a new prompt
    expect(replies()).toHaveLength(1);
  });
});
