/**
 * Closing a connection right after a login waits for Baileys' own-LID key writes
 * (own-lid-session.ts): whoever closes the store next — `wagate channels login` in
 * process — must find them in it, however slow the store is.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startSimulator } from '../../src/sim/index.js';
import type { ConnectionEvent } from '../../src/ports/transport.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/port.js';
import { BaileysAccountTransport } from '../../src/whatsapp/baileys-transport.js';
import { tmpDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/**
 * The store, with every read of `lid-mapping` keys held back `ms`: Baileys' own-LID
 * work reads before it writes, so no write is in flight yet when the close comes.
 */
function slowLidReads(store: Store, ms: number): void {
  const get = store.keys.get.bind(store.keys);
  store.keys.get = async (accountId, type, ids) => {
    if (type === 'lid-mapping') await new Promise((r) => setTimeout(r, ms));
    return get(accountId, type, ids);
  };
}

describe("a close right after a login waits for Baileys' own-LID key writes", () => {
  it('the own device list and LID mapping are in the store once close() resolved, though the store is slow', async () => {
    const sim = await startSimulator({ port: 0, host: '127.0.0.1' });
    cleanup.push(() => sim.close());
    const home = tmpDir('own-lid');
    const store = await openSqliteStore({ file: path.join(home, 'wagate.db') });
    cleanup.push(() => store.close());
    slowLidReads(store, 600);
    const transport = new BaileysAccountTransport({
      accountId: 'default',
      store,
      authDir: async () => path.join(home, 'none'),
      url: sim.url,
      logger: pino({ level: 'silent' }),
    });
    // Link: QR → the phone scans → pair-success → WhatsApp's 515 closes the link connection.
    const events: ConnectionEvent[] = [];
    transport.connect('link', (ev) => {
      events.push(ev);
      if (ev.type === 'qr' && events.filter((e) => e.type === 'qr').length === 1) void sim.phone('+15550000007').scanQr(ev.qr);
    });
    await until(() => events.find((e) => e.type === 'close'), 'the link connection to close (515)', 30_000);
    // Log in with the new identity; close as soon as it is open, as the in-process login does.
    const resumed: ConnectionEvent[] = [];
    const conn = transport.connect('resume', (ev) => void resumed.push(ev));
    await until(() => resumed.find((e) => e.type === 'open'), 'the login to open', 30_000);
    await conn.close('login done');
    expect(resumed.at(-1)?.type).toBe('close');
    const devices = await store.keys.get('default', 'device-list', ['15550000007']);
    expect(devices.size).toBe(1);
    const mapping = await store.keys.get('default', 'lid-mapping', ['15550000007']);
    expect(mapping.size).toBe(1);
  });
});
