/** Shared setup for the server tests: one simulator per test, clients ended in teardown. */
import { afterEach, beforeEach } from 'vitest';
import { startSimServer, type SimServer, type SimServerOptions } from '../../../src/sim/server/server.js';
import { TestClient, type TestClientOptions } from '../helpers/client.js';

export interface Fixture {
  readonly sim: SimServer;
  client(opts?: TestClientOptions): TestClient;
  /** A client linked to `phone` by QR and open. */
  linked(phone: string, opts?: TestClientOptions): Promise<TestClient>;
}

export function useSim(opts: SimServerOptions = {}): Fixture {
  let sim: SimServer | undefined;
  const clients: TestClient[] = [];
  beforeEach(async () => {
    sim = await startSimServer({ port: 0, host: '127.0.0.1', ...opts });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.end();
    await sim?.close();
    sim = undefined;
  });
  const fixture: Fixture = {
    get sim() {
      if (!sim) throw new Error('no simulator running');
      return sim;
    },
    client(copts) {
      const c = new TestClient(fixture.sim.url, copts);
      clients.push(c);
      return c;
    },
    async linked(phone, copts) {
      const c = fixture.client(copts);
      await c.link((qr) => fixture.sim.phone(phone).scanQr(qr));
      return c;
    },
  };
  return fixture;
}
