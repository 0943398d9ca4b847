/**
 * Issue 13 end to end (real Baileys ↔ simulator): a reply whose connection drops
 * while it is sent waits for the reconnect and reaches the contact exactly once; a
 * logout while it waits fails it visibly; the same request sent twice is shown once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SimContact } from '../../src/sim/index.js';
import { e2e, until, type E2E, textOf } from './harness.js';

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const BOT = '+15550004000';

async function start() {
  h = await e2e({ channels: { whatsapp: { dmPolicy: 'open', allowFrom: ['*'] } } });
  const gw = await h.startGateway();
  expect((await h.link('default', BOT)).code).toBe(0);
  const rt = gw.accounts.get('default')!;
  await until(() => rt.state === 'connected', 'connected');
  return { h, gw, rt };
}

const shown = (c: SimContact, text: string) => c.inbox.filter((m) => textOf(m) === text).length;

describe('replies across a dropped connection (real Baileys ↔ simulator)', () => {
  it.each([
    [428, false],
    [428, true],
    [500, false],
    [515, true],
  ] as const)('closed with %i as the reply goes out (WhatsApp got it first: %s) → the contact has it exactly once after the reconnect', async (code, deliver) => {
    const { h, rt } = await start();
    const alice = h.sim.contact('+15557780001', { name: 'Alice' });
    h.sim.dropOnNextMessage(BOT, { code, deliver });
    const mark = rt.transitions().length;
    await alice.send('hello');
    // The account loses its connection while the reply is in flight; it reconnects (515
    // at once, the others after the backoff the simulated clock lets pass).
    await until(() => rt.transitions().slice(mark).some((t) => t.to !== 'connected'), 'the connection lost');
    await until(() => {
      if (rt.state === 'backing-off') h.clock.increment(30_000);
      return h.of('reply.delivered').length + h.of('reply.failed').length > 0;
    }, 'the reply delivered after the reconnect', 20_000);
    expect(h.of('reply.failed')).toEqual([]);
    const [done] = h.of('reply.delivered');
    await until(() => shown(alice, 'echo: hello') >= 1, 'the reply shown');
    await h.handled((await until(() => h!.of('message.accepted')[0])).message.id);
    expect(shown(alice, 'echo: hello')).toBe(1);
    // Sent twice under one id when WhatsApp had it already: the phone showed it once.
    expect(alice.duplicates.length).toBe(deliver ? 1 : 0);
    expect(alice.inbox.find((m) => textOf(m) === 'echo: hello')!.id).toBe(done!.messageIds[0]);
  }, 40_000);

  it.each([500, 428] as const)(
    'the socket ends (%i) while the reply is still looking up the contact\'s devices → the send fails at once and waits for the reconnect',
    async (code) => {
      const { h, gw, rt } = await start();
      const bob = h.sim.contact(`+1555778${code === 500 ? '0010' : '0011'}`, { name: 'Bob' });
      // Armed when the message is accepted: the next device look-up (usync) is the reply's.
      const off = gw.bus.on('message.accepted', () => h.sim.dropOnNextQuery(BOT, { xmlns: 'usync', code }));
      await bob.send('hello');
      await until(() => rt.state === 'backing-off', 'backing off after the drop');
      off();
      // Baileys' query would wait 60 s for an answer from a socket Baileys itself ended
      // (its close listeners are gone): the send fails at once, and the reply waits.
      const delivery = () => h.gateway!.actors.get('reply-delivery')!.summary() as { waiting: number; inFlight: number };
      await until(() => delivery().waiting === 1, 'the reply waiting for the connection');
      expect(rt.state).toBe('backing-off');
      h.clock.increment(30_000);
      await until(() => h.of('reply.delivered').length === 1, 'the reply delivered after the reconnect');
      expect(h.of('reply.failed')).toEqual([]);
      await until(() => shown(bob, 'echo: hello') === 1, 'the reply shown');
      await h.handled((await until(() => h!.of('message.accepted')[0])).message.id);
      expect(shown(bob, 'echo: hello')).toBe(1);
    },
    40_000,
  );

  it('logged out (401) while a reply waits → reply.failed with WAGATE_ERR_LOGGED_OUT, nothing sent', async () => {
    const { h, rt } = await start();
    const alice = h.sim.contact('+15557780002', { name: 'Alice' });
    h.sim.dropOnNextMessage(BOT, { code: 428, deliver: false });
    await alice.send('hello');
    await until(() => rt.state === 'backing-off', 'backing off after the drop');
    await until(() => (h.gateway!.actors.get('reply-delivery')!.summary() as { waiting: number }).waiting === 1, 'the reply waiting');
    h.sim.failNextLogin(BOT, 401);
    h.clock.increment(30_000);
    await until(() => rt.state === 'logged-out', 'logged out');
    const [failed] = await until(() => (h.of('reply.failed').length ? h.of('reply.failed') : null), 'the reply failed');
    expect(failed!.error).toMatchObject({
      code: 'WAGATE_ERR_LOGGED_OUT',
      message: expect.stringMatching(/^Reply not sent: account default is logged-out and will not reconnect by itself \(.*wagate channels login/),
    });
    expect(h.of('reply.delivered')).toEqual([]);
    expect(shown(alice, 'echo: hello')).toBe(0);
  }, 40_000);

  it('the same request delivered twice is shown once', async () => {
    const { h, gw } = await start();
    const bob = h.sim.contact('+15557780003', { name: 'Bob' });
    const request = { accountId: 'default', chatJid: bob.jid, text: 'only once', source: 'cli' as const, requestId: 'resumed-run' };
    gw.bus.emit('reply.requested', request);
    gw.bus.emit('reply.requested', request);
    await until(() => h.of('reply.delivered').length === 2, 'both deliveries');
    const [a, b] = h.of('reply.delivered');
    expect(a!.messageIds).toEqual(b!.messageIds);
    await until(() => shown(bob, 'only once') + bob.duplicates.length === 2, 'both copies at the phone');
    expect(shown(bob, 'only once')).toBe(1);
    expect(bob.duplicates.length).toBe(1);
  }, 30_000);
});
