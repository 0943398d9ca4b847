import { afterEach, describe, expect, it } from 'vitest';
import { e2e, until, type E2E, textOf } from './harness.js';

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const BOT = '+15550003100';
const OPEN = { dmPolicy: 'open' as const, allowFrom: ['*'] };

async function start(config: Parameters<typeof e2e>[0]) {
  h = await e2e(config);
  const gw = await h.startGateway();
  expect((await h.link('default', BOT)).code).toBe(0);
  await until(() => gw.accounts.get('default')!.state === 'connected', 'connected');
  return h;
}

describe('incoming calls (real Baileys ↔ simulator)', () => {
  it('rejectCalls: a call is rejected and the caller gets rejectCallMessage exactly once', async () => {
    const h = await start({ channels: { whatsapp: { ...OPEN, rejectCalls: true, rejectCallMessage: 'No calls, please write.' } } });
    const bob = h.sim.contact('+15557771001', { name: 'Bob' });
    const callId = bob.call();
    await until(() => bob.rejectedCalls.includes(callId), 'the simulator sees the reject');
    await until(() => bob.inbox.some((m) => textOf(m)), 'the reject message');
    bob.call({ callId }); // the same offer again (WhatsApp may repeat it): no second reject, no second message
    // Then a normal message: its echo comes after anything the call could still send.
    await bob.send('hi');
    await until(() => bob.inbox.filter((m) => textOf(m)).length >= 2, 'the echo');
    expect(bob.inbox.map(textOf).filter(Boolean)).toEqual(['No calls, please write.', 'echo: hi']);
    expect(bob.rejectedCalls).toEqual([callId]);
    // A new call is a new call: rejected and answered again.
    const second = bob.call();
    await until(() => bob.inbox.filter((m) => textOf(m)).length >= 3, 'the second reject message');
    expect(bob.rejectedCalls).toEqual([callId, second]);
    expect(bob.inbox.map(textOf).filter(Boolean).at(-1)).toBe('No calls, please write.');
  });

  it('per account: rejectCalls false (the default) leaves calls alone', async () => {
    const h = await start({ channels: { whatsapp: { ...OPEN, rejectCallMessage: 'No calls.', accounts: { default: { rejectCalls: false } } } } });
    const bob = h.sim.contact('+15557771002', { name: 'Bob' });
    bob.call();
    await bob.send('hi');
    await until(() => bob.inbox.some((m) => textOf(m)), 'the echo');
    await new Promise((r) => setTimeout(r, 300));
    expect(bob.inbox.map(textOf).filter(Boolean)).toEqual(['echo: hi']);
    expect(bob.rejectedCalls).toEqual([]);
  });
});
