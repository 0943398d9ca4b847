import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { e2e, textOf, until, type E2E } from './harness.js';

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

/** Links the default account, sends `text` to Ivan through the CLI; returns Ivan and the message id. */
async function replyToIvan(text: string) {
  h = await e2e({ channels: { whatsapp: { dmPolicy: 'disabled' } } });
  const gw = await h.startGateway();
  expect((await h.link('default', '+15550005000')).code).toBe(0);
  await until(() => gw.accounts.get('default')!.state === 'connected', 'connected');
  const ivan = h.sim.contact('+15557779001', { name: 'Ivan' });
  const sent = await runCli(['message', 'send', '--to', '+15557779001', '-m', text, '--json'], h.env);
  expect(sent.code).toBe(0);
  const id = JSON.parse(sent.stdout).messageIds[0] as string;
  const got = await ivan.nextMessage(10_000);
  expect(got.id).toBe(id);
  return { ivan, id };
}

async function restart(e: E2E) {
  await e.stopGateway();
  const gw = await e.startGateway();
  await until(() => gw.accounts.get('default')!.state === 'connected', 'connected again');
}

describe('retry receipts for our messages (real Baileys ↔ simulator)', () => {
  it('after a gateway restart, a retry receipt for an earlier reply gets the reply again, re-encrypted', async () => {
    const { ivan, id } = await replyToIvan('before the restart');
    await restart(h!);

    ivan.requestRetry(id); // the phone could not decrypt it after all
    // The phone shows a message id once: the re-sent copy is kept aside as a duplicate.
    await until(() => ivan.duplicates.some((m) => m.id === id), 're-sent copy', 15_000);
    const again = ivan.duplicates.find((m) => m.id === id)!;
    expect(textOf(again)).toBe('before the restart');
    expect(ivan.inbox.filter((m) => m.id === id)).toHaveLength(1);
  });

  it('a retry storm for one message gets a bounded number of re-sends, across reconnects too', async () => {
    const { ivan, id } = await replyToIvan('storm');
    const storm = async (n: number) => {
      const before = ivan.retryAcks.length;
      for (let i = 1; i <= n; i++) ivan.requestRetry(id, { count: i });
      // Each receipt is acknowledged after it was handled; the simulator reads stanzas in order,
      // so every re-send it triggered is in the inbox by the last ack.
      await until(() => ivan.retryAcks.length >= before + n, `${n} retry receipts handled`, 30_000);
    };
    await storm(10);
    const resent = () => ivan.duplicates.filter((m) => m.id === id).length; // re-sent copies (the phone shows the id once)
    expect(resent()).toBeGreaterThanOrEqual(1);
    expect(resent()).toBeLessThanOrEqual(2);

    // A reconnect (same gateway) used to reset Baileys' counts: the bound holds across it.
    h!.sim.drop('15550005000');
    const gw = h!.gateway!;
    await until(() => gw.accounts.get('default')!.state === 'backing-off', 'backing-off after the drop');
    h!.clock.increment(30_000);
    await until(() => gw.accounts.get('default')!.state === 'connected', 'reconnected', 30_000);
    await storm(5);
    expect(resent()).toBeLessThanOrEqual(2);
  });
});
