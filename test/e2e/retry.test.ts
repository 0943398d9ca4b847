import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { e2e, until, type E2E } from './harness.js';

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const text = (m: { message: { conversation?: string | null; extendedTextMessage?: { text?: string | null } | null } }) =>
  m.message.conversation ?? m.message.extendedTextMessage?.text ?? '';

describe('a message the recipient cannot decrypt is not lost (real Baileys ↔ simulator)', () => {
  it('the contact lost its session: it asks for a retry and the gateway sends the message again', async () => {
    h = await e2e({ channels: { whatsapp: { dmPolicy: 'disabled' } } });
    const gw = await h.startGateway();
    expect((await h.link('default', '+15550005000')).code).toBe(0);
    await until(() => gw.accounts.get('default')!.state === 'connected', 'connected');
    const ivan = h.sim.contact('+15557779001', { name: 'Ivan' });
    expect((await runCli(['message', 'send', '--to', '+15557779001', '-m', 'first'], h.env)).code).toBe(0);
    expect(text(await ivan.nextMessage(10_000))).toBe('first');
    const thanks = await ivan.send('thanks'); // the session is now confirmed both ways: replies are plain `msg`
    await h.handled(thanks);

    ivan.signal.forgetSessions(); // the phone lost its Signal state
    const sent = await runCli(['message', 'send', '--to', '+15557779001', '-m', 'second', '--json'], h.env);
    expect(sent.code).toBe(0);
    const got = await ivan.nextMessage(15_000);
    expect(text(got)).toBe('second');
    expect(got.id).toBe(JSON.parse(sent.stdout).messageIds[0]);
  });
});
