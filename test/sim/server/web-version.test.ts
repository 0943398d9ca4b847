import { fetchWebVersion } from '../../../src/whatsapp/web-version.js';
import { describe, expect, it } from 'vitest';
import { SIM_CLIENT_REVISION } from '../../../src/sim/server/server.js';
import { useSim } from './fixture.js';

const PHONE = '+15550000002';

describe("the simulator's WhatsApp Web version (sw.js and the 405 gate)", () => {
  const f = useSim();

  it('serves sw.js with its client_revision on the HTTP side, counts the fetches, and can fail it', async () => {
    expect(f.sim.versionUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sw\.js$/);
    expect(await fetchWebVersion(f.sim.versionUrl)).toEqual([2, 3000, SIM_CLIENT_REVISION]);
    f.sim.webVersion.revision = 1234;
    expect(await fetchWebVersion(f.sim.versionUrl)).toEqual([2, 3000, 1234]);
    f.sim.webVersion.revision = null;
    await expect(fetchWebVersion(f.sim.versionUrl)).rejects.toThrow(/HTTP 500/);
    expect(f.sim.webVersion.fetches).toBe(3);
    expect((await fetch(f.sim.versionUrl.replace('sw.js', 'other'))).status).toBe(426);
  });

  it('records the version each client announces, and refuses one below the minimum with 405', async () => {
    const c = await f.linked(PHONE, { config: { version: [2, 3000, 500] } });
    expect(new Set(f.sim.webVersion.seen)).toEqual(new Set(['2.3000.500']));
    f.sim.webVersion.minimum = 501;
    f.sim.kick(PHONE, 515); // the client reconnects at once, announcing 500 again
    expect(await c.waitClose()).toBe(515);
    expect(await c.waitClose()).toBe(405);
    expect(f.sim.webVersion.seen.at(-1)).toBe('2.3000.500');
    f.sim.webVersion.minimum = 500; // equal is enough
    c.connect();
    await c.waitOpen();
  });
});
