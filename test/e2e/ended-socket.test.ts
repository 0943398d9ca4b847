/**
 * Calls on a socket that ends under them fail at once (issue 13: "a send stuck on a
 * dead socket must not hold the stop"). When Baileys ends a socket — a stream error,
 * or our own close on stop — it first removes the close listeners of the queries in
 * flight, which then wait for their 60 s timeout: an ack reaction (or a read receipt,
 * a reply) looking up the contact's devices held its bus handler that long, and a stop
 * then waited for it (chaos seed 2000, step 22: the SIGTERM took over 30 s). Real
 * Baileys ↔ simulator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLogTap } from '../../src/log-tap.js';
import { e2e, until, type E2E } from './harness.js';

const BOT = '+15550009420';

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('a socket that ends under a call (real Baileys ↔ simulator)', () => {
  it('an ack reaction whose device look-up is in flight fails at once, and the stop leaves no phase behind', async () => {
    h = await e2e({
      channels: { whatsapp: { dmPolicy: 'open', allowFrom: ['*'], ackReaction: { emoji: '👀' } } },
      // The reply waiting for the reconnect is not waited for on stop.
      gateway: { drainSeconds: 0 },
    });
    expect((await h.link('default', BOT)).code).toBe(0);
    const tap = createLogTap();
    const gw = await h.startGateway({ logTap: tap });
    const rt = gw.accounts.get('default')!;
    await until(() => rt.state === 'connected', 'connected');
    const carol = h.sim.contact('+15557774201', { name: 'Carol' });
    // Armed when the message is accepted: the next device look-up (usync) is the reaction's.
    const off = gw.bus.on('message.accepted', () => h!.sim.dropOnNextQuery(BOT, { xmlns: 'usync', code: 500 }));
    await carol.send('hello');
    await until(() => rt.state === 'backing-off', 'backing off after the drop');
    off();
    const ack = () => gw.actors.get('ack-reaction')!.summary() as { sent: number; failed: number };
    await until(() => ack().failed === 1, 'the reaction failed with its socket');
    expect(ack().sent).toBe(0);
    expect(rt.state).toBe('backing-off');

    await h.stopGateway();
    const lines = tap.recent().map((l) => JSON.parse(l) as { msg: string; phases?: Array<{ phase: string; timedOut: boolean }> });
    const stopped = lines.find((l) => l.msg === 'gateway stopped');
    expect(stopped?.phases?.filter((p) => p.timedOut)).toEqual([]);
  }, 40_000);
});
