/**
 * The control page's Nodes view in a real browser (issue 16 item 3): two cluster nodes
 * in this process on one throwaway PostgreSQL; the page of node n1 lists both nodes,
 * live, with the accounts whose lease each holds (token, expiry), and a node that died
 * (a heartbeat row gone stale, a lease still held) as not live.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/index.js';
import { startGateway, type Gateway } from '../../src/gateway/supervisor.js';
import { silentLogger } from '../../src/log.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres.js';
import { createBaileysTransportFactory } from '../../src/whatsapp/index.js';
import { e2e, freePort, until, type E2E } from '../e2e/harness.js';
import { postgresForFile, type PgServer } from '../helpers/postgres.js';
import { tmpDir } from '../helpers/tmp.js';
import { dashboardLink, launchBrowser, view } from './browser.js';

let server: PgServer;
postgresForFile((s) => (server = s));

let h: E2E | null = null;
let browser: BrowserContext | null = null;
let direct: PostgresStore | null = null;
const gateways: Gateway[] = [];
afterEach(async () => {
  await browser?.close();
  browser = null;
  for (const gw of gateways.splice(0).reverse()) await gw.stop();
  await direct?.close();
  direct = null;
  await h?.close();
  h = null;
});

async function startNode(e: E2E, url: string, id: string) {
  const home = tmpDir(`node-${id}`);
  const raw = JSON.parse(fs.readFileSync(e.configPath, 'utf8')) as Record<string, any>;
  raw.gateway = { ...raw.gateway, port: await freePort() };
  raw.cluster = { nodeId: id, leaseSeconds: 3, capacity: 1 };
  const configPath = path.join(home, 'wagate.json');
  fs.writeFileSync(configPath, JSON.stringify(raw));
  const env = { WAGATE_HOME: home, HOME: home, WAGATE_STORE_URL: url };
  const config = validateConfig(raw, configPath);
  const logger = silentLogger();
  const gw = await startGateway({ config, configPath, stateDir: home, env, transport: createBaileysTransportFactory({ config, env, logger }), logger, tickMs: 0 });
  gateways.push(gw);
  return { env, gw };
}

describe('the control page: Nodes', () => {
  it('lists every node with its liveness, capacity and the accounts it holds (lease token)', async () => {
    const url = await server.createDatabase();
    h = await e2e({ channels: { whatsapp: { accounts: { a1: {}, a2: {}, a3: {} } } } });
    direct = await openPostgresStore({ url });
    const store = direct;
    // a3 is held by a node that died (its heartbeat is a minute old, its lease runs ten more).
    await store.leases.ensure(['a3']);
    expect(await store.leases.take('ghost', 'a3', Date.now(), 10 * 60_000)).toBe(1);
    await store.leases.heartbeat('ghost', 7, Date.now() - 60_000);
    const n1 = await startNode(h, url, 'n1');
    await startNode(h, url, 'n2');
    const leases = await until(
      async () => {
        const l = (await store.leases.list()).filter((x) => x.owner === 'n1' || x.owner === 'n2');
        return l.length === 2 && new Set(l.map((x) => x.owner)).size === 2 ? l : null;
      },
      'a1 and a2 spread over n1 and n2',
      30_000,
    );

    browser = await launchBrowser();
    const page = await browser.newPage();
    await page.goto(await dashboardLink(n1.env));
    await page.locator('[data-testid="account-state"]').first().waitFor();
    await view(page, 'nodes');
    const card = (id: string) => page.locator(`[data-testid="node"][data-node="${id}"]`);
    await card('n2').waitFor();
    expect(await page.locator('[data-testid="node"]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-node'), e.getAttribute('data-live')]))).toEqual([
      ['ghost', 'false'],
      ['n1', 'true'],
      ['n2', 'true'],
    ]);
    expect(await card('n1').locator('h2').textContent()).toContain('n1 (this node)');
    for (const l of leases) {
      const row = card(l.owner!).locator(`[data-testid="node-account"][data-account="${l.accountId}"]`);
      expect(await row.textContent()).toContain(`lease token ${l.token}`);
    }
    expect(await card('ghost').textContent()).toContain('not live');
    expect(await card('ghost').locator('[data-account="a3"]').textContent()).toContain('lease token 1');
    expect(await card('n2').textContent()).toContain('1 of 1 accounts');
  });
});
