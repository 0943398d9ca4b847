import { afterEach, describe, expect, it } from 'vitest';
import { checkProxies } from '../../src/cli/doctor-proxy.js';
import { resolveAccounts, validateConfig } from '../../src/config/index.js';
import { freePort } from '../helpers/net.js';
import { startSocks5Proxy, type TestProxy } from '../helpers/proxies.js';

let proxy: TestProxy | null = null;
afterEach(async () => {
  await proxy?.close();
  proxy = null;
});

const accountsOf = (whatsapp: object) =>
  resolveAccounts(validateConfig({ channels: { whatsapp } }, '/x/wagate.json'), { env: { WAGATE_HOME: '/s' } });

describe('wagate doctor: proxy reachability', () => {
  it('reports each enabled account with a proxy, reachable or not, never showing the credentials', async () => {
    proxy = await startSocks5Proxy({ user: 'joe', password: 'hunter2' });
    const dead = `http://joe:hunter2@127.0.0.1:${await freePort()}`;
    const checks = await checkProxies(
      accountsOf({ accounts: { up: { proxy: proxy.url }, down: { proxy: dead }, none: {}, off: { proxy: dead, enabled: false } } }),
    );
    expect(Object.fromEntries(checks.map((c) => [c.id, c.status]))).toEqual({ 'proxy:up': 'ok', 'proxy:down': 'warn' });
    expect(checks.find((c) => c.id === 'proxy:down')!.message).toMatch(/^http:\/\/\*\*\*@127\.0\.0\.1:\d+ not reachable \(ECONNREFUSED\)$/);
    expect(JSON.stringify(checks)).not.toContain('hunter2');
    expect(proxy.tunnels).toEqual([]); // a TCP connection only: nothing was tunnelled
  });
});
