import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpRoute } from '../../src/gateway/control-http.js';
import { closeTestServers, startTestServer, TOKEN } from './control-helpers.js';

afterEach(closeTestServers);

const routes = new Map<string, HttpRoute>([
  ['/open', { auth: 'open', answer: () => ({ status: 200, contentType: 'text/plain', body: 'open\n' }) }],
  ['/secret', { auth: 'token', answer: () => ({ status: 200, contentType: 'text/plain', body: 'secret\n' }) }],
  [
    '/broken',
    {
      auth: 'open',
      answer: () => {
        throw new Error('kaboom');
      },
    },
  ],
]);

function request(port: number, path: string, opts: { method?: string; headers?: Record<string, string> } = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('plain HTTP beside the control WebSocket (src/gateway/control-http.ts)', () => {
  it('serves GET and HEAD of its routes; 404 elsewhere, 405 for other methods, 500 without details when a route throws', async () => {
    const s = await startTestServer({ routes });
    expect(await request(s.port, '/open')).toMatchObject({ status: 200, body: 'open\n', headers: { 'cache-control': 'no-store' } });
    expect(await request(s.port, '/open?x=1', { method: 'HEAD' })).toMatchObject({ status: 200, body: '' });
    expect((await request(s.port, '/')).status).toBe(404);
    expect(await request(s.port, '/open', { method: 'POST' })).toMatchObject({ status: 405, headers: { allow: 'GET, HEAD' } });
    expect(await request(s.port, '/broken')).toMatchObject({ status: 500, body: 'Internal error; see the gateway log\n' });
  });

  it('a token route: the bearer token in, a wrong one slowed by the auth guard, held answers released at close', async () => {
    const s = await startTestServer({ routes, limits: { authFailBaseDelayMs: 60_000, authFailMaxDelayMs: 60_000 } });
    expect((await request(s.port, '/secret', { headers: { authorization: `Bearer ${TOKEN}` } })).body).toBe('secret\n');
    expect((await request(s.port, '/secret')).status).toBe(401);
    const held = request(s.port, '/secret', { headers: { authorization: 'Bearer wrong' } });
    let answered = false;
    void held.then(() => (answered = true));
    // the token holder is never slowed by a guesser on the same address
    expect((await request(s.port, '/secret', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect(answered).toBe(false);
    await s.close();
    expect(await held).toMatchObject({ status: 401, body: 'Unauthorized\n' });
  });

  it('refuses a foreign Origin, and on a loopback bind a foreign Host (DNS rebinding)', async () => {
    const s = await startTestServer({ routes });
    expect((await request(s.port, '/open', { headers: { origin: 'https://evil.example' } })).status).toBe(403);
    expect((await request(s.port, '/open', { headers: { origin: `http://localhost:${s.port}` } })).status).toBe(200);
    expect((await request(s.port, '/open', { headers: { host: 'rebound.evil.example:1234' } })).status).toBe(403);
    expect((await request(s.port, '/open', { headers: { host: `localhost:${s.port}` } })).status).toBe(200);
    expect((await request(s.port, '/open', { headers: { host: '[::1]' } })).status).toBe(200);
  });
});
