import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import type { Store } from '../../src/store/port.js';
import {
  FETCH_RETRY_MS,
  VERSION_MAX_AGE_MS,
  WebVersionResolver,
  bundledVersion,
  bundledWebVersion,
  fetchWebVersion,
  parseServiceWorker,
  parseVersionText,
} from '../../src/whatsapp/web-version.js';
import { lazyStore } from '../helpers/test-store.js';
import { tmpDir } from '../helpers/tmp.js';

const URL_ = 'https://web.whatsapp.example/sw.js';
const DAY = VERSION_MAX_AGE_MS;

describe('reading the version out of sw.js', () => {
  it('finds client_revision written plainly or escaped inside a JSON string, as [2, 3000, N]', () => {
    expect(parseServiceWorker('x={"client_revision":1027934701,"y":1}')).toEqual([2, 3000, 1027934701]);
    expect(parseServiceWorker('self.__swData=JSON.parse("{\\"client_revision\\": 1027934702}")')).toEqual([2, 3000, 1027934702]);
  });

  it('finds nothing in a page without one, or with a revision that is no positive integer', () => {
    expect(parseServiceWorker('<html>not the service worker</html>')).toBeUndefined();
    expect(parseServiceWorker('{"client_revision":0}')).toBeUndefined();
    expect(parseServiceWorker('{"client_revision":99999999999999999999}')).toBeUndefined();
    expect(parseServiceWorker('{"server_revision":5}')).toBeUndefined();
  });

  it('reads the cached text form back, and nothing else', () => {
    expect(parseVersionText('2.3000.17')).toEqual([2, 3000, 17]);
    expect(parseVersionText('2.3000')).toBeUndefined();
    expect(parseVersionText('2.3000.x')).toBeUndefined();
    expect(bundledWebVersion()).toBe(bundledVersion().join('.'));
  });

  it('a fetch fails on an HTTP error or a page without the revision', async () => {
    const answer = (status: number, body: string) => (async () => new Response(body, { status })) as typeof fetch;
    await expect(fetchWebVersion(URL_, { fetch: answer(200, '{"client_revision":5}') })).resolves.toEqual([2, 3000, 5]);
    await expect(fetchWebVersion(URL_, { fetch: answer(503, '') })).rejects.toThrow(/HTTP 503/);
    await expect(fetchWebVersion(URL_, { fetch: answer(200, 'nothing') })).rejects.toThrow(/no client_revision/);
  });
});

/** A resolver on a real store, a clock the test moves, and a fetch whose answers the test sets. */
function setup(opts: { configured?: [number, number, number]; store?: Store } = {}) {
  const store = opts.store ?? lazyStore(path.join(tmpDir('web-version'), 'wagate.db'));
  const clock = { t: 1_700_000_000_000 };
  const server = { revision: 100 as number | null, fetches: 0 };
  const fakeFetch = (async () => {
    server.fetches += 1;
    if (server.revision === null) throw new TypeError('fetch failed');
    return new Response(`{"client_revision":${server.revision}}`);
  }) as typeof fetch;
  const make = () =>
    new WebVersionResolver({ configured: opts.configured, url: URL_, store, logger: silentLogger(), now: () => clock.t, fetch: fakeFetch });
  return { store, clock, server, make, resolver: make() };
}

describe('which version a connect uses (WebVersionResolver)', () => {
  it('web.version wins: nothing is fetched, and it is pinned', async () => {
    const { resolver, server } = setup({ configured: [2, 3000, 42] });
    expect(await resolver.resolve()).toEqual({ value: [2, 3000, 42], version: '2.3000.42', source: 'config' });
    expect(await resolver.resolve({ refresh: true })).toMatchObject({ source: 'config' });
    expect(resolver.pinned).toBe(true);
    expect(server.fetches).toBe(0);
  });

  it('fetches once, then reuses it for a day; a day later it fetches again', async () => {
    const { resolver, server, clock } = setup();
    expect(resolver.pinned).toBe(false);
    const t0 = clock.t;
    expect(await resolver.resolve()).toEqual({ value: [2, 3000, 100], version: '2.3000.100', source: 'fetched', fetchedAt: t0 });
    server.revision = 101;
    clock.t += DAY - 1;
    expect(await resolver.resolve()).toMatchObject({ version: '2.3000.100', source: 'fetched', fetchedAt: t0 });
    expect(server.fetches).toBe(1);
    clock.t += 1;
    expect(await resolver.resolve()).toMatchObject({ version: '2.3000.101', source: 'fetched', fetchedAt: clock.t });
    expect(server.fetches).toBe(2);
  });

  it('a fetch is kept in the store: the next process uses it as the cache for the rest of the day', async () => {
    const first = setup();
    await first.resolver.resolve();
    const t0 = first.clock.t;
    first.clock.t += DAY / 2;
    const next = first.make(); // a restart: nothing in memory
    expect(await next.resolve()).toEqual({ value: [2, 3000, 100], version: '2.3000.100', source: 'cache', fetchedAt: t0 });
    expect(first.server.fetches).toBe(1);
    expect(await first.store.webVersions.get(URL_)).toEqual({ url: URL_, version: '2.3000.100', fetchedAt: t0 });
  });

  it('a failed fetch falls back to the cache however old, else to the bundled version', async () => {
    const a = setup();
    a.server.revision = null;
    expect(await a.resolver.resolve()).toEqual({ value: bundledVersion(), version: bundledWebVersion(), source: 'bundled' });

    const b = setup();
    await b.store.webVersions.put({ url: URL_, version: '2.3000.77', fetchedAt: b.clock.t - 30 * DAY });
    b.server.revision = null;
    expect(await b.resolver.resolve()).toMatchObject({ version: '2.3000.77', source: 'cache', fetchedAt: b.clock.t - 30 * DAY });
    expect(b.server.fetches).toBe(1);
  });

  it('after a failed fetch it waits an hour before fetching again', async () => {
    const { resolver, server, clock } = setup();
    server.revision = null;
    await resolver.resolve();
    server.revision = 100;
    clock.t += FETCH_RETRY_MS - 1;
    expect(await resolver.resolve()).toMatchObject({ source: 'bundled' });
    expect(server.fetches).toBe(1);
    clock.t += 1;
    expect(await resolver.resolve()).toMatchObject({ version: '2.3000.100', source: 'fetched' });
    expect(server.fetches).toBe(2);
  });

  it('a refresh (after a 405) fetches now, whatever the day or the hour says', async () => {
    const { resolver, server, clock } = setup();
    await resolver.resolve();
    server.revision = 200;
    clock.t += 60_000;
    expect(await resolver.resolve({ refresh: true })).toMatchObject({ version: '2.3000.200', source: 'fetched' });
    server.revision = null;
    expect(await resolver.resolve({ refresh: true })).toMatchObject({ version: '2.3000.200', source: 'cache' });
    expect(server.fetches).toBe(3);
  });

  it('accounts connecting at once share one fetch', async () => {
    const { resolver, server } = setup();
    const all = await Promise.all([resolver.resolve(), resolver.resolve(), resolver.resolve()]);
    expect(all.map((v) => v.version)).toEqual(['2.3000.100', '2.3000.100', '2.3000.100']);
    expect(server.fetches).toBe(1);
  });

  it('peek() says what a connect starts from without fetching: config, else cache of any age, else bundled', async () => {
    const { resolver, server, store, clock } = setup();
    expect(await resolver.peek()).toMatchObject({ source: 'bundled' });
    await store.webVersions.put({ url: URL_, version: '2.3000.9', fetchedAt: clock.t - 3 * DAY });
    expect(await resolver.peek()).toMatchObject({ version: '2.3000.9', source: 'cache' });
    expect(await setup({ configured: [2, 3000, 5], store }).resolver.peek()).toMatchObject({ version: '2.3000.5', source: 'config' });
    expect(server.fetches).toBe(0);
  });
});
