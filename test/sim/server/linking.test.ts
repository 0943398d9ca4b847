import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSimServer, type SimServer } from '../../../src/sim/server.js';
import { TestClient } from '../helpers/client.js';

const PHONE = '+15550000001';

describe('QR linking against the simulator', () => {
  let sim: SimServer;
  const clients: TestClient[] = [];
  const client = (opts?: ConstructorParameters<typeof TestClient>[1]): TestClient => {
    const c = new TestClient(sim.url, opts);
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    sim = await startSimServer({ port: 0, host: '127.0.0.1' });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.end();
    await sim.close();
  });

  it('links by QR, restarts on 515 and opens with the new creds', async () => {
    const c = client();
    c.connect();
    const qr = await c.nextQr();
    expect(qr).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#2@/);
    const companion = await sim.phone(PHONE).scanQr(qr);
    expect(await c.waitClose()).toBe(515);
    await c.waitOpen();
    expect(companion.jid).toBe('15550000001:1@s.whatsapp.net');
    expect(c.auth.state.creds.me?.id).toBe(companion.jid);
    expect(c.auth.state.creds.me?.lid).toBe(companion.lid);
    const online = await sim.hub.waitOnline('15550000001');
    expect(online.online).toBe(true);
    expect(online.keys?.preKeys.size).toBeGreaterThan(0);
    expect(online.keys?.registrationId).toBe(c.auth.state.creds.registrationId);
  });
});
