import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BusEvents } from '../../src/bus/events.js';
import { runCli } from '../helpers/cli.js';
import { e2e, until, type E2E } from './harness.js';

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const PHONES = { a: '+15550002001', b: '+15550002002', c: '+15550002003' } as const;

describe('three accounts in one gateway (real Baileys ↔ simulator)', () => {
  it('one account kicked with 401 goes logged-out; the other two keep sending and receiving', async () => {
    // DMs disabled: this test is about the connections, not the conversation loop.
    h = await e2e({ channels: { whatsapp: { dmPolicy: 'disabled', accounts: { a: {}, b: {}, c: {} } } } });
    const gw = await h.startGateway();
    for (const [id, phone] of Object.entries(PHONES)) expect((await h.link(id, phone)).code).toBe(0);
    for (const id of Object.keys(PHONES)) await until(() => gw.accounts.get(id)!.state === 'connected', `${id} connected`);

    const received: BusEvents['message.received'][] = [];
    gw.bus.on('message.received', (e) => void received.push(e));

    h.sim.kick(PHONES.b, 401);
    await until(() => gw.accounts.get('b')!.state === 'logged-out', 'b logged out');

    for (const id of ['a', 'c'] as const) {
      const friend = `+1555900${id === 'a' ? '1' : '3'}000`;
      const contact = h.sim.contact(friend, { name: `Friend of ${id}`, to: PHONES[id] });
      // receiving
      const sentId = await contact.send(`hello ${id}`);
      const got = await until(() => received.find((r) => r.accountId === id && r.message.id === sentId), `${id} receives`);
      expect(got!.message).toMatchObject({ chatType: 'direct', text: `hello ${id}`, chatId: friend, from: { e164: friend, name: `Friend of ${id}` }, fromMe: false });
      // sending
      await gw.accounts.get(id)!.activeConnection().sendText(friend, `reply from ${id}`);
      const out = await contact.nextMessage(10_000);
      expect(out.message.conversation ?? out.message.extendedTextMessage?.text).toBe(`reply from ${id}`);
      expect(gw.accounts.get(id)!.state).toBe('connected');
    }
    expect(gw.accounts.get('b')!.state).toBe('logged-out');
    expect(() => gw.accounts.get('b')!.activeConnection()).toThrow(/No active WhatsApp listener for account b/);
  });
});

describe('one account whose creds cannot be read (real Baileys ↔ simulator)', () => {
  it('is that account\'s state, with the real error and its fix; the other account still connects and answers', async () => {
    const GOOD = '+15550002101';
    h = await e2e({ channels: { whatsapp: { dmPolicy: 'open', allowFrom: ['*'], accounts: { good: {}, broken: {} } } } });
    await h.startGateway();
    expect((await h.link('good', GOOD)).code).toBe(0);
    await h.stopGateway();
    // A creds.json that no one can read, root included: a directory in its place.
    fs.mkdirSync(path.join(h.home, 'credentials', 'whatsapp', 'broken', 'creds.json'), { recursive: true });

    const gw = await h.startGateway();
    const good = gw.accounts.get('good')!;
    await until(() => good.state === 'connected', 'good reconnects from its saved creds');
    const broken = gw.accounts.get('broken')!;
    expect(broken.state).toBe('degraded');
    expect(broken.context.error).toMatchObject({ code: 'WAGATE_ERR_CREDS', message: expect.stringContaining('creds.json'), cause: expect.stringContaining('EISDIR') });

    // The good account answers.
    const friend = h.sim.contact('+15559002101', { name: 'Friend', to: GOOD });
    await friend.send('still there?');
    const reply = await friend.nextMessage(10_000);
    expect(reply.message.conversation ?? reply.message.extendedTextMessage?.text).toBe('echo: still there?');

    // Status and the debug dump name the broken account's real error and the fix.
    const status = JSON.parse((await runCli(['channels', 'status', '--json'], h.env)).stdout);
    const byId = Object.fromEntries(status.accounts.map((a: { accountId: string }) => [a.accountId, a]));
    expect(byId.good).toMatchObject({ state: 'connected', connected: true });
    expect(byId.broken).toMatchObject({
      state: 'degraded',
      connected: false,
      error: {
        code: 'WAGATE_ERR_CREDS',
        message: expect.stringMatching(/Cannot read .*creds\.json \(EISDIR\).*wagate channels logout.*wagate channels login/),
        cause: expect.stringContaining('EISDIR'),
      },
    });
    const human = (await runCli(['channels', 'status'], h.env)).stdout;
    expect(human).toMatch(/broken: .*state degraded/);
    expect(human).toMatch(/Degraded: Cannot read .*creds\.json \(EISDIR\)/);
    const dump = JSON.parse((await runCli(['debug', 'dump', '--account', 'broken', '--json'], h.env)).stdout);
    expect(dump.accounts[0]).toMatchObject({ accountId: 'broken', state: 'degraded', context: { error: { code: 'WAGATE_ERR_CREDS' }, lastClose: null } });
    expect(dump.accounts[0].transitions.at(-1)).toMatchObject({ event: 'START', from: 'unlinked', to: 'degraded' });
  });
});
