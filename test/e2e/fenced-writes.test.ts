/**
 * A connection asks `mayWrite` (ConnectOptions; a cluster node's lease check) before every
 * frame it writes, Baileys' own included: once it says no, nothing more reaches WhatsApp
 * on that socket — not even the delivery receipt Baileys sends by itself — and the socket
 * is closed. This is what keeps a cluster node woken from a SIGSTOP (its keep-alive timer
 * fires before it reads that WhatsApp closed its socket) silent on a socket that is no
 * longer its own. Nothing is lost: the unacknowledged message is delivered again once
 * writes are allowed again, and answered once. Real Baileys against the simulator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { wrapConnect } from './ack-gap-helpers.js';
import { e2e, echoReplies, OPEN_DMS, until, type E2E } from './harness.js';

const BOT = '+15550009410';
const USER = BOT.slice(1);

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

/** Every connection of the account is opened with `mayWrite: () => gate.open`. */
const gated = (gate: { open: boolean }) => wrapConnect((connect, mode, listener, opts) => connect(mode, listener, { ...opts, mayWrite: () => gate.open }));

describe('fenced writes (real Baileys ↔ simulator)', () => {
  it('once mayWrite says no, the socket writes nothing more (not even a receipt) and closes; the message is answered after writes are allowed again', async () => {
    h = await e2e(OPEN_DMS);
    expect((await h.link('default', BOT)).code).toBe(0);
    const gate = { open: true };
    const gw = await h.startGateway({ wrapTransport: gated(gate) });
    await until(() => gw.accounts.get('default')!.state === 'connected', 'gateway connected');
    const ann = h.sim.contact('+15557774101', { name: 'Ann' });
    await h.handled(await ann.send('one'));
    await until(() => echoReplies(ann).length === 1, 'the first reply');

    const live = () => h!.sim.sessionLog(USER).at(-1)!;
    const session = h.sim.sessionLog(USER).length - 1;
    const before = live().stanzas;
    gate.open = false;
    const id = await ann.send('two');
    // Baileys receives it and answers with a delivery receipt: that frame is dropped, the socket closed.
    await until(() => h!.sim.sessionLog(USER)[session]!.closedAt !== undefined, 'the socket closed by the client');
    expect(h.sim.sessionLog(USER)[session]!.stanzas).toBe(before);
    expect(ann.receipts.some((r) => r.type === 'delivery' && r.ids.includes(id))).toBe(false);
    expect(echoReplies(ann)).toEqual(['echo: one']);

    // Allowed again: the next connection (after the backoff the simulated clock lets pass)
    // gets the unacknowledged message, answered once.
    gate.open = true;
    await until(() => {
      if (gw.accounts.get('default')!.state === 'backing-off') h!.clock.increment(30_000);
      return echoReplies(ann).length === 2;
    }, 'the reply to the message the fenced socket never acknowledged', 30_000);
    expect(echoReplies(ann)).toEqual(['echo: one', 'echo: two']);
    await h.handled(id);
    expect(echoReplies(ann)).toEqual(['echo: one', 'echo: two']);
  }, 90_000);
});
