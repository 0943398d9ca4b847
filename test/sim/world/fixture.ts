/** Shared setup for the world tests: a full simulator per test, clients ended in teardown. */
import { Agent } from 'node:https';
import { afterEach, beforeEach, expect } from 'vitest';
import { startSimulator, type Simulator } from '../../../src/sim/index.js';
import { TestClient, type TestClientOptions } from '../helpers/client.js';

export const ACCOUNT = '+15550000001';
export const ACCOUNT_JID = '15550000001@s.whatsapp.net';

export interface WorldFixture {
  readonly sim: Simulator;
  client(opts?: TestClientOptions): TestClient;
  /** A client linked to `phone` by QR, open, past the initial history sync. */
  linked(phone?: string, opts?: TestClientOptions): Promise<TestClient>;
}

export function useWorld(): WorldFixture {
  let sim: Simulator | undefined;
  const clients: TestClient[] = [];
  const agents: Agent[] = [];
  beforeEach(async () => {
    sim = await startSimulator({ port: 0, host: '127.0.0.1' });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.end();
    for (const a of agents.splice(0)) a.destroy();
    await sim?.close();
    sim = undefined;
  });
  const fixture: WorldFixture = {
    get sim() {
      if (!sim) throw new Error('no simulator running');
      return sim;
    },
    client(copts = {}) {
      // media uploads go to the simulator's self-signed loopback HTTPS host
      const fetchAgent = new Agent({ rejectUnauthorized: false });
      agents.push(fetchAgent);
      const c = new TestClient(fixture.sim.url, { ...copts, config: { fetchAgent, ...copts.config } });
      clients.push(c);
      return c;
    },
    async linked(phone = ACCOUNT, copts) {
      const c = fixture.client(copts);
      await c.link((qr) => fixture.sim.phone(phone).scanQr(qr));
      // the simulated phone's key share + initial history sync complete the first sync
      await expect.poll(() => c.auth.state.creds.accountSyncCounter ?? 0, { timeout: 5000, interval: 20 }).toBeGreaterThan(0);
      return c;
    },
  };
  return fixture;
}

/** Text of a Baileys message, whatever its wrapper. */
export function textOf(m: { message?: { conversation?: string | null; extendedTextMessage?: { text?: string | null } | null } | null }): string | undefined {
  return m.message?.conversation ?? m.message?.extendedTextMessage?.text ?? undefined;
}
