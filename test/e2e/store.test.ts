/**
 * The WhatsApp side on the store, end to end (real Baileys ↔ simulator):
 * - an auth dir written by Baileys' own `useMultiFileAuthState` is imported at gateway
 *   start: no QR, the account answers, the files are moved aside, and a logout does not
 *   bring them back;
 * - a retry receipt for a message sent before a gateway restart is answered from the
 *   store's sent messages (the new process has nothing in memory).
 */
import fs from 'node:fs';
import path from 'node:path';
import { useMultiFileAuthState } from '@whiskeysockets/baileys';
import { afterEach, describe, expect, it } from 'vitest';
import { retryReceipt } from '../../src/sim/world/usync.js';
import { runCli } from '../helpers/cli.js';
import { TestClient } from '../sim/helpers/client.js';
import { e2e, until, type E2E, textOf } from './harness.js';

const BOT = '+15550008000';
const BOT_USER = BOT.slice(1);
const OPEN = { channels: { whatsapp: { dmPolicy: 'open' as const, allowFrom: ['*'] } } };

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('the WhatsApp side on the store', () => {
  it('imports an auth dir Baileys wrote: connects without a QR, answers, moves the files aside; logout does not bring them back', async () => {
    h = await e2e(OPEN);
    const sim = h.sim;
    const dir = path.join(h.home, 'credentials', 'whatsapp', 'default');
    // Link with bare Baileys and its own multi-file auth state, as an older wagate (or OpenClaw) did.
    const files = await useMultiFileAuthState(dir);
    const bare = new TestClient(sim.url, { auth: { state: files.state } });
    await bare.link((qr) => sim.phone(BOT).scanQr(qr));
    await until(() => (files.state.creds.accountSyncCounter ?? 0) > 0, 'the first app-state sync');
    await bare.end();
    await files.saveCreds();
    expect(fs.readdirSync(dir)).toContain('creds.json');

    const gw = await h.startGateway();
    const qrs: unknown[] = [];
    gw.bus.on('account.qr.updated', (e) => void qrs.push(e));
    await until(() => gw.accounts.get('default')!.state === 'connected', 'connected from the imported creds');
    expect(qrs).toEqual([]);
    const moved = fs.readdirSync(path.dirname(dir)).filter((n) => n.startsWith('default.imported-'));
    expect(moved).toHaveLength(1);
    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.readdirSync(path.join(path.dirname(dir), moved[0]!))).toContain('creds.json');
    expect((await gw.store.keys.count('default'))['pre-key']).toBeGreaterThan(0);

    const kim = sim.contact('+15557772001', { name: 'Kim' });
    await kim.send('hello after the import');
    await until(() => kim.inbox.map(textOf).includes('echo: hello after the import'), 'the reply');

    // doctor lists the old dir and says it can go.
    const doc = JSON.parse((await runCli(['doctor', '--json'], h.env)).stdout) as { checks: Array<{ id: string; status: string; message: string }> };
    expect(doc.checks.find((c) => c.id === 'imported')).toMatchObject({ status: 'ok', message: expect.stringContaining(`${moved[0]}`) });
    expect(doc.checks.find((c) => c.id === 'imported')!.message).toContain('can be removed');
    expect(doc.checks.find((c) => c.id === 'store')).toMatchObject({ status: 'ok', message: expect.stringContaining('integrity ok') });

    expect((await runCli(['channels', 'logout'], h.env)).code).toBe(0);
    await h.stopGateway();
    const again = await h.startGateway();
    await until(() => again.accounts.get('default')!.state === 'unlinked', 'not linked after the logout');
    expect(await again.store.creds.load('default')).toBeUndefined();
    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.readdirSync(path.dirname(dir)).filter((n) => n.startsWith('default.imported-'))).toEqual(moved);
  });

  it('a retry receipt for a message sent before a restart is answered from the store', async () => {
    h = await e2e({ channels: { whatsapp: { dmPolicy: 'disabled' } } });
    const gw = await h.startGateway();
    expect((await h.link('default', BOT)).code).toBe(0);
    await until(() => gw.accounts.get('default')!.state === 'connected', 'connected');
    const LEE = '+15557772002';
    const lee = h.sim.contact(LEE, { name: 'Lee' });
    expect((await runCli(['message', 'send', '--to', LEE, '-m', 'first'], h.env)).code).toBe(0);
    expect(textOf(await lee.nextMessage(10_000))).toBe('first');
    await h.handled(await lee.send('thanks'));
    const sent = await runCli(['message', 'send', '--to', LEE, '-m', 'before the restart', '--json'], h.env);
    const id = (JSON.parse(sent.stdout) as { messageIds: string[] }).messageIds[0]!;
    expect(textOf(await lee.nextMessage(10_000))).toBe('before the restart');
    expect(await gw.store.sent.get('default', id)).toMatchObject({ id, chatJid: expect.stringContaining(LEE.slice(1)) });

    await h.stopGateway();
    const restarted = await h.startGateway();
    await until(() => restarted.accounts.get('default')!.state === 'connected', 'connected again');
    // Lee's phone lost its Signal state and asks for that message again: a retry receipt
    // with a fresh prekey bundle, as the simulator's phones send when a copy does not open.
    lee.signal.forgetSessions();
    h.sim.hub.deliver(BOT_USER, retryReceipt(lee, lee.jid, id, 1, Math.floor(Date.now() / 1000)));
    // Lee's phone had shown it already: the copy sent again opens, and is not shown twice.
    const again = await until(() => lee.duplicates.find((m) => m.id === id), 'the message sent again', 15_000);
    expect(textOf(again)).toBe('before the restart');
    expect(lee.inbox.filter((m) => m.id === id)).toHaveLength(1);
  });
});
