import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { e2e, textOf, until, type E2E } from './harness.js';

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const BOT = '+15550007000';
const IVAN = '+15557779101';

describe('a sender WhatsApp addresses by LID only (real Baileys ↔ simulator)', () => {
  it('is matched by phone number through Baileys’ LID mapping, before and after a restart, and answered where it wrote from', async () => {
    // Only Ivan's phone number is allowed; he will write from his LID alone.
    h = await e2e({ channels: { whatsapp: { dmPolicy: 'allowlist', allowFrom: [IVAN] } } });
    let gw = await h.startGateway();
    expect((await h.link('default', BOT)).code).toBe(0);
    await until(() => gw.accounts.get('default')!.state === 'connected', 'connected');
    const ivan = h.sim.contact(IVAN, { name: 'Ivan' });
    // We wrote to Ivan by phone number: Baileys learned his LID (usync), our own map did not.
    expect((await runCli(['message', 'send', '--to', IVAN, '-m', 'hello Ivan'], h.env)).code).toBe(0);
    expect(textOf(await ivan.nextMessage(10_000))).toBe('hello Ivan');
    const lid = `${ivan.lidUser}@lid`;

    const first = await ivan.send('hi, it is me', { as: 'lid' });
    const d1 = await h.handled(first);
    expect(d1.type).toBe('message.accepted');
    expect(d1.payload.message.from).toMatchObject({ lid, e164: IVAN });
    expect(textOf(await ivan.nextMessage(10_000))).toBe('echo: hi, it is me');

    // The gateway restarts; Ivan writes again, still by LID only. The store's own LID
    // map (a mirror) is emptied meanwhile: Baileys' mapping, kept in the auth state, suffices.
    await h.stopGateway();
    const db = new Database(path.join(h.home, 'wagate.db'));
    expect(db.prepare('DELETE FROM lid_map').run().changes).toBe(1);
    db.close();
    gw = await h.startGateway();
    await until(() => gw.accounts.get('default')!.state === 'connected', 'connected again');
    const second = await ivan.send('me again', { as: 'lid' });
    const d2 = await h.handled(second);
    expect(d2.type).toBe('message.accepted');
    expect(d2.payload.message.from).toMatchObject({ lid, e164: IVAN });
    expect(textOf(await ivan.nextMessage(10_000))).toBe('echo: me again');
    // The reply went to the chat WhatsApp addressed (his LID), and reached him.
    expect(h.of('reply.requested').at(-1)!.chatJid).toBe(lid);
  });

  it('a LID-only stranger with no known number is not let in by the phone-number allowlist', async () => {
    h = await e2e({ channels: { whatsapp: { dmPolicy: 'allowlist', allowFrom: [IVAN] } } });
    const gw = await h.startGateway();
    expect((await h.link('default', BOT)).code).toBe(0);
    await until(() => gw.accounts.get('default')!.state === 'connected', 'connected');
    const mallory = h.sim.contact('+15557779102', { name: 'Mallory' });
    const id = await mallory.send('let me in', { as: 'lid' });
    const d = await h.handled(id);
    expect(d.type).not.toBe('message.accepted');
  });

  it('pairing approved by phone number lets the same person in when, after a restart, they write by LID only', async () => {
    h = await e2e({});
    let gw = await h.startGateway();
    expect((await h.link('default', BOT)).code).toBe(0);
    await until(() => gw.accounts.get('default')!.state === 'connected', 'connected');
    const eve = h.sim.contact('+15557779103', { name: 'Eve' });
    const hello = await eve.send('hello?'); // by phone number, with her LID beside it
    expect((await h.handled(hello)).type).toBe('pairing.needed');
    const code = /wagate pairing approve whatsapp ([A-Z2-9]{8})/.exec(textOf(await eve.nextMessage(10_000)))![1]!;
    expect((await runCli(['pairing', 'approve', 'whatsapp', code], h.env)).code).toBe(0);

    await h.stopGateway();
    gw = await h.startGateway();
    await until(() => gw.accounts.get('default')!.state === 'connected', 'connected again');
    const now = await eve.send('now?', { as: 'lid' });
    const d = await h.handled(now);
    expect(d.type).toBe('message.accepted');
    expect(d.payload.message.from).toMatchObject({ lid: `${eve.lidUser}@lid`, e164: '+15557779103' });
    expect(textOf(await eve.nextMessage(10_000))).toBe('echo: now?');
  });
});
