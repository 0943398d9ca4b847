import { afterEach, describe, expect, it } from 'vitest';
import { connectControl } from '../../src/gateway/control-client.js';
import { closeTestServers, raw, startTestServer as start, TOKEN } from './control-helpers.js';

afterEach(closeTestServers);

describe('control server', () => {
  it('answers connect with hello-ok and the snapshot, then serves methods', async () => {
    const s = await start();
    const c = await connectControl({ url: s.url, token: TOKEN });
    expect(c.hello).toMatchObject({ type: 'hello-ok', protocol: 1, snapshot: { health: { ok: true } } });
    expect(await c.requestRaw('echo', { text: 'hi' })).toEqual({ text: 'hi' });
    c.close();
    await c.closed;
  });

  it('a wrong token gets an error response, then the connection is closed', async () => {
    const s = await start();
    const r = await raw(s.url);
    r.ws.send(JSON.stringify({ type: 'req', id: 1, method: 'connect', params: { token: 'nope' } }));
    const res = await r.next();
    expect(res).toMatchObject({ type: 'res', id: 1, ok: false, error: { code: 'WAGATE_ERR_UNAUTHORIZED' } });
    expect((await r.closed).code).toBe(1008);
  });

  it('a missing token, or a first request other than connect, is refused and closed', async () => {
    const s = await start();
    await expect(connectControl({ url: s.url, token: null })).rejects.toMatchObject({ code: 'WAGATE_ERR_UNAUTHORIZED' });
    const r = await raw(s.url);
    r.ws.send(JSON.stringify({ type: 'req', id: 'x', method: 'status', params: {} }));
    expect(await r.next()).toMatchObject({ ok: false, error: { code: 'WAGATE_ERR_UNAUTHORIZED', message: expect.stringContaining('connect') } });
    await r.closed;
  });

  it('malformed JSON, non-request frames, unknown methods, invalid params and thrown handlers get error responses and the connection keeps working', async () => {
    const s = await start();
    const r = await raw(s.url);
    r.ws.send(JSON.stringify({ type: 'req', id: 0, method: 'connect', params: { token: TOKEN } }));
    expect(await r.next(1)).toMatchObject({ ok: true });
    r.ws.send('{not json');
    expect(await r.next(2)).toMatchObject({ id: null, ok: false, error: { code: 'WAGATE_ERR_BAD_REQUEST', message: expect.stringContaining('not valid JSON') } });
    r.ws.send(JSON.stringify({ hello: 'world', id: 7 }));
    expect(await r.next(3)).toMatchObject({ id: 7, ok: false, error: { code: 'WAGATE_ERR_BAD_REQUEST' } });
    r.ws.send(JSON.stringify({ type: 'req', id: 4, method: 'nope' }));
    expect(await r.next(4)).toMatchObject({ id: 4, ok: false, error: { code: 'WAGATE_ERR_UNKNOWN_METHOD', message: expect.stringContaining('"nope"') } });
    r.ws.send(JSON.stringify({ type: 'req', id: 5, method: 'echo', params: { text: 42 } }));
    expect(await r.next(5)).toMatchObject({ id: 5, ok: false, error: { code: 'WAGATE_ERR_BAD_REQUEST', message: expect.stringContaining('params.text') } });
    r.ws.send(JSON.stringify({ type: 'req', id: 6, method: 'explode' }));
    expect(await r.next(6)).toMatchObject({ id: 6, ok: false, error: { code: 'WAGATE_ERR_INTERNAL', message: 'kaboom' } });
    r.ws.send(JSON.stringify({ type: 'req', id: 8, method: 'echo', params: { text: 'still here' } }));
    expect(await r.next(7)).toMatchObject({ id: 8, ok: true, payload: { text: 'still here' } });
    r.ws.close();
  });

  it('a frame over 1 MiB gets WAGATE_ERR_FRAME_TOO_LARGE and other clients are unaffected', async () => {
    const s = await start();
    const other = await connectControl({ url: s.url, token: TOKEN });
    const r = await raw(s.url);
    r.ws.send(JSON.stringify({ type: 'req', id: 0, method: 'connect', params: { token: TOKEN } }));
    await r.next(1);
    r.ws.send(JSON.stringify({ type: 'req', id: 1, method: 'echo', params: { text: 'x'.repeat(1024 * 1024 + 10) } }));
    expect(await r.next(2)).toMatchObject({ ok: false, error: { code: 'WAGATE_ERR_FRAME_TOO_LARGE' } });
    expect(await other.requestRaw('echo', { text: 'ok' })).toEqual({ text: 'ok' });
    r.ws.send(JSON.stringify({ type: 'req', id: 2, method: 'echo', params: { text: 'after' } }));
    expect(await r.next(3)).toMatchObject({ ok: true, payload: { text: 'after' } });
    other.close();
    r.ws.close();
  });

  it('streams method events to the caller with increasing seq, and broadcasts to authenticated clients only', async () => {
    const s = await start();
    const c = await connectControl({ url: s.url, token: TOKEN });
    const events: any[] = [];
    c.onEvent((f) => events.push(f));
    const unauth = await raw(s.url);
    expect(await c.requestRaw('stream')).toEqual({ done: true });
    s.broadcast('account', { accountId: 'a', state: 'connected' });
    await c.requestRaw('echo', { text: 'sync' });
    expect(events.map((e) => [e.event, e.seq])).toEqual([
      ['progress', 1],
      ['progress', 2],
      ['account', 3],
    ]);
    expect(unauth.frames).toEqual([]);
    c.close();
    unauth.ws.close();
  });

  it('sends periodic tick events', async () => {
    const s = await start({ tickMs: 20 });
    const c = await connectControl({ url: s.url, token: TOKEN });
    const tick = await new Promise<any>((resolve) => c.onEvent((f) => f.event === 'tick' && resolve(f)));
    expect(tick.payload.at).toEqual(expect.any(Number));
    c.close();
  });

  it('refuses to bind a non-loopback address without a configured token', async () => {
    await expect(start({ host: '0.0.0.0', tokenConfigured: false })).rejects.toMatchObject({
      code: 'WAGATE_ERR_CONFIG',
      message: expect.stringContaining('gateway.auth.token'),
    });
  });

  it('reports an unreachable gateway clearly', async () => {
    const s = await start();
    const url = s.url;
    await s.close();
    await expect(connectControl({ url, token: TOKEN })).rejects.toMatchObject({
      code: 'WAGATE_ERR_GATEWAY_UNREACHABLE',
      message: expect.stringContaining('wagate gateway'),
    });
  });
});
