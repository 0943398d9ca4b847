import { afterEach, describe, expect, it } from 'vitest';
import { connectControl } from '../../src/gateway/control-client.js';
import { readTokenFile } from '../../src/gateway/token.js';
import { runCli } from '../helpers/cli.js';
import { e2e, textOf, until, type E2E } from './harness.js';

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const OPEN = { channels: { whatsapp: { dmPolicy: 'open' as const, allowFrom: ['*'] } } };

/** A contact writes and the gateway answers: the linked account really works. */
async function answers(h: E2E, e164: string): Promise<void> {
  const zed = h.sim.contact(e164, { name: 'Zed' });
  await zed.send('ping');
  await until(() => zed.inbox.some((m) => textOf(m) === 'echo: ping'), 'the echo reply', 10_000);
}

describe('linking by pairing code (real Baileys ↔ simulator)', () => {
  it('in-process: --phone prints the code instead of QRs, the phone enters it → linked; the gateway then connects and answers', async () => {
    h = await e2e(OPEN);
    const res = await h.linkByCode('default', '+15550000021');
    expect(res.code).toBe(0);
    expect(res.lines.map((l) => l.event)).toEqual(['code', 'linked']);
    expect(res.lines[0]).toEqual({ event: 'code', code: expect.stringMatching(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/) });
    expect(res.lines.at(-1)).toEqual({ event: 'linked', accountId: 'default', e164: '+15550000021', jid: expect.stringMatching(/^15550000021:\d+@s\.whatsapp\.net$/) });
    const gw = await h.startGateway();
    await until(() => gw.accounts.get('default')!.state === 'connected', 'connected from creds saved by the CLI');
    await answers(h, '+15557770021');
  });

  it('through the gateway: login.start with phone, the code reaches every client as login.code; linked, connected, answers', async () => {
    h = await e2e(OPEN);
    const gw = await h.startGateway();
    const observer = await connectControl({ url: gw.control.url, token: readTokenFile(h.home), clientName: 'observer' });
    const seen: { event: string; code?: string }[] = [];
    observer.onEvent((f) => {
      if (f.event === 'login.code' || f.event === 'login.qr') seen.push({ event: f.event, code: (f.payload as { code?: string }).code });
    });
    try {
      const res = await h.linkByCode('default', '+15550000022');
      expect(res.code).toBe(0);
      expect(res.lines.map((l) => l.event)).toEqual(['code', 'linked']);
      expect(res.lines.at(-1)).toMatchObject({ event: 'linked', e164: '+15550000022' });
      await observer.request('status', {});
      expect(seen.filter((e) => e.event === 'login.code')).toEqual([{ event: 'login.code', code: res.lines[0].code }]);
    } finally {
      observer.close();
    }
    await until(() => gw.accounts.get('default')!.state === 'connected', 'connected');
    await answers(h, '+15557770022');
  });

  it('human output names the code and what to tap; nobody enters it → a clear timeout naming --phone', async () => {
    h = await e2e();
    const res = await runCli(['channels', 'login', '--phone', '+1 555 000 0023', '--timeout', '2'], h.env);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^Pairing code: [A-Z0-9]{4}-[A-Z0-9]{4}$/m);
    expect(res.stdout).toContain('On the phone with +15550000023: WhatsApp → Settings → Linked devices → Link a device → Link with phone number instead');
    expect(res.stdout).not.toContain('Scan this QR');
    expect(res.stderr.trim()).toBe(
      'wagate: login failed: The pairing code was not entered on +15550000023 within 2 s; run `wagate channels login --phone +15550000023` again.',
    );
  });

  it('--phone that is not an E.164 number is refused before anything connects', async () => {
    h = await e2e();
    const res = await runCli(['channels', 'login', '--phone', '0155512'], h.env);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('"0155512" is not a phone number in E.164 form');
    expect(h.sim.hub.companions.size).toBe(0);
  });
});
