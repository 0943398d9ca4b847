/**
 * The WhatsApp Web version end to end (SPEC §4, README "Running on real WhatsApp"):
 * the real gateway and Baileys against the simulator, whose `sw.js` says the current
 * version and whose login refuses versions below a minimum with 405.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SIM_CLIENT_REVISION } from '../../src/sim/server/server.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { bundledWebVersion } from '../../src/whatsapp/web-version.js';
import { readTokenFile } from '../../src/gateway/token.js';
import { runCli } from '../helpers/cli.js';
import { parseProm, seriesOf } from '../helpers/prom-text.js';
import { e2e, until, type E2E } from './harness.js';

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const PHONE = '+15550009000';
const R = SIM_CLIENT_REVISION;
const v = (n: number) => `2.3000.${n}`;
const DAY = 24 * 60 * 60 * 1000;

async function linked(config: Parameters<typeof e2e>[0] = {}) {
  h = await e2e(config);
  const gw = await h.startGateway();
  expect((await h.link('default', PHONE)).code).toBe(0);
  const rt = gw.accounts.get('default')!;
  await until(() => rt.state === 'connected', 'connected');
  return { h, rt };
}

async function statusJson(h: E2E) {
  const res = await runCli(['channels', 'status', '--json'], h.env);
  return JSON.parse(res.stdout).accounts[0] as { state: string; webVersion: { version: string; source: string; fetchedAt?: number } | null; error: { code: string; message: string } | null };
}

async function restart(h: E2E) {
  await h.stopGateway();
  const gw = await h.startGateway();
  return gw.accounts.get('default')!;
}

function connectsAfter(rt: { transitions(): { to: string }[] }, index: number): number {
  return rt.transitions().slice(index).filter((t) => t.to === 'connecting').length;
}

describe('WhatsApp Web version (real Baileys ↔ simulator)', () => {
  it('uses the version fetched from sw.js, once for the link and its restart; status, doctor and /metrics show it', async () => {
    const { h } = await linked();
    expect(h.sim.webVersion.seen.length).toBeGreaterThanOrEqual(2); // the link, then the login after 515
    expect(new Set(h.sim.webVersion.seen)).toEqual(new Set([v(R)]));
    expect(v(R)).not.toBe(bundledWebVersion());
    expect(h.sim.webVersion.fetches).toBe(1);
    expect((await statusJson(h)).webVersion).toMatchObject({ version: v(R), source: 'fetched', fetchedAt: expect.any(Number) });

    const doctor = JSON.parse((await runCli(['doctor', '--json'], h.env)).stdout) as { checks: { id: string; status: string; message: string }[] };
    expect(doctor.checks.find((c) => c.id === 'web-version')).toMatchObject({ status: 'ok', message: expect.stringContaining(`default ${v(R)} (fetched`) });

    const res = await fetch(`http://127.0.0.1:${h.gateway!.control.port}/metrics`, { headers: { authorization: `Bearer ${readTokenFile(h.home)}` } });
    expect(seriesOf(parseProm(await res.text()), 'wagate_whatsapp_web_version_info')).toEqual([
      `wagate_whatsapp_web_version_info{account="default",source="fetched",version="${v(R)}"}`,
    ]);
  });

  it('fetch fails → the bundled version; with a cached one (however old) → the cache', async () => {
    h = await e2e();
    h.sim.webVersion.revision = null; // sw.js answers 500
    const gw = await h.startGateway();
    expect((await h.link('default', PHONE)).code).toBe(0);
    await until(() => gw.accounts.get('default')!.state === 'connected', 'connected');
    expect(new Set(h.sim.webVersion.seen)).toEqual(new Set([bundledWebVersion()]));
    expect((await statusJson(h)).webVersion).toEqual({ version: bundledWebVersion(), source: 'bundled' });

    await h.stopGateway();
    const fetchedAt = Date.now() - 3 * DAY;
    const store = await openSqliteStore({ file: path.join(h.home, 'wagate.db') });
    await store.webVersions.put({ url: h.sim.versionUrl, version: v(R - 7), fetchedAt });
    await store.close();
    const fetchesBefore = h.sim.webVersion.fetches;
    const gw2 = await h.startGateway();
    await until(() => gw2.accounts.get('default')!.state === 'connected', 'connected with the cached version');
    expect(h.sim.webVersion.seen.at(-1)).toBe(v(R - 7));
    expect(h.sim.webVersion.fetches).toBe(fetchesBefore + 1); // the stale cache was refreshed (and the fetch failed)
    expect((await statusJson(h)).webVersion).toEqual({ version: v(R - 7), source: 'cache', fetchedAt });
  });

  it('405 → the version is fetched once more and the connection retried once, and it connects', async () => {
    const { h } = await linked();
    // WhatsApp moves on: the cached version (fetched minutes ago, so not fetched again) is refused.
    h.sim.webVersion.revision = R + 10;
    h.sim.webVersion.minimum = R + 10;
    const fetches = h.sim.webVersion.fetches;
    const seen = h.sim.webVersion.seen.length;
    const rt = await restart(h);
    await until(() => rt.state === 'connected', 'connected after one retry');
    expect(h.sim.webVersion.seen.slice(seen)).toEqual([v(R), v(R + 10)]);
    expect(h.sim.webVersion.fetches).toBe(fetches + 1);
    expect((await statusJson(h)).webVersion).toMatchObject({ version: v(R + 10), source: 'fetched' });
  });

  it('a second 405 → degraded with a message naming web.version, after exactly one refresh, and no more attempts', async () => {
    const { h } = await linked();
    h.sim.webVersion.revision = R + 10; // still too old for WhatsApp
    h.sim.webVersion.minimum = R + 20;
    const fetches = h.sim.webVersion.fetches;
    const seen = h.sim.webVersion.seen.length;
    const rt = await restart(h);
    await until(() => rt.state === 'degraded', 'degraded');
    expect(h.sim.webVersion.seen.slice(seen)).toEqual([v(R), v(R + 10)]);
    expect(h.sim.webVersion.fetches).toBe(fetches + 1);
    expect(rt.context.lastClose?.code).toBe(405);
    expect(rt.context.error).toMatchObject({ code: 'WAGATE_ERR_OUTDATED', message: expect.stringContaining('`web.version`') });
    expect(rt.context.error?.message).toContain(`version ${v(R + 10)}, fetched`);
    const status = await statusJson(h);
    expect(status).toMatchObject({ state: 'degraded', error: { code: 'WAGATE_ERR_OUTDATED' } });
    const mark = rt.transitions().length;
    h.clock.increment(10 * 60_000);
    await h.gateway!.bus.idle();
    expect(connectsAfter(rt, mark)).toBe(0);
    expect(h.sim.webVersion.seen.length).toBe(seen + 2);
  });

  it('web.version wins over the fetched version; a 405 with it pinned degrades at once, fetching nothing', async () => {
    const PINNED = R + 500;
    const { h } = await linked({ web: { version: [2, 3000, PINNED] } });
    expect(new Set(h.sim.webVersion.seen)).toEqual(new Set([v(PINNED)]));
    expect(h.sim.webVersion.fetches).toBe(0);
    expect((await statusJson(h)).webVersion).toEqual({ version: v(PINNED), source: 'config' });

    h.sim.webVersion.minimum = PINNED + 1;
    const seen = h.sim.webVersion.seen.length;
    const rt = await restart(h);
    await until(() => rt.state === 'degraded', 'degraded');
    expect(h.sim.webVersion.seen.length).toBe(seen + 1);
    expect(h.sim.webVersion.fetches).toBe(0);
    expect(rt.context.error?.message).toMatch(/pinned by web\.version.*Set `web\.version` to the current one/s);
  });
});
