import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fetch } from 'undici';
import { proxyAgents, redactProxyUrl } from '../../src/whatsapp/proxy.js';
import { startHttpConnectProxy, startSocks5Proxy, type TestProxy } from '../helpers/proxies.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function origin(): Promise<string> {
  const srv = http.createServer((_req, res) => res.end('hello from the far end'));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => srv.close(() => r())));
  return `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
}

function get(url: string, agent: http.Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString())).on('end', () => resolve(body));
    }).on('error', reject);
  });
}

describe('proxyAgents', () => {
  it('redacts credentials for logs and status', () => {
    expect(redactProxyUrl('socks5://joe:hunter2@10.0.0.1:1080')).toBe('socks5://***@10.0.0.1:1080');
    expect(redactProxyUrl('http://proxy.corp:3128')).toBe('http://proxy.corp:3128');
    expect(redactProxyUrl('nonsense')).toBe('(not a URL)');
  });

  it('refuses another scheme, naming the accepted ones', () => {
    expect(() => proxyAgents('ftp://proxy:21')).toThrow(/http: https: socks5:/);
  });

  it.each([
    ['HTTP CONNECT', startHttpConnectProxy],
    ['SOCKS5', startSocks5Proxy],
  ] as const)('%s: the node agent and the undici dispatcher both tunnel through the proxy, with credentials', async (_n, start) => {
    const proxy: TestProxy = await start({ user: 'joe', password: 'p@ss word' });
    closers.push(() => proxy.close());
    const far = await origin();
    const { agent, dispatcher, shown } = proxyAgents(proxy.url);
    expect(shown).not.toContain('p@ss');
    expect(await get(far, agent as unknown as http.Agent)).toBe('hello from the far end');
    expect(await (await fetch(far, { dispatcher })).text()).toBe('hello from the far end');
    expect(proxy.tunnels).toEqual([new URL(far).host, new URL(far).host]);
    expect(proxy.refused).toBe(0);
    await dispatcher.close();
    agent.destroy();
  });
});
