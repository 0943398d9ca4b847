import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, loadPageFiles, pageRoutes, PAGE_FILES, VENDOR_FILES } from '../../src/gateway/web-page.js';
import { createWebSessions, SESSION_COOKIE, type WebSessions } from '../../src/gateway/web-sessions.js';
import { closeTestServers, raw, startTestServer, TOKEN, upgradeStatus } from './control-helpers.js';

afterEach(closeTestServers);

function request(port: number, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const files = loadPageFiles();

async function pageServer(sessions: WebSessions = createWebSessions({ now: Date.now })) {
  const s = await startTestServer({ routes: pageRoutes({ sessions, token: TOKEN, files }), sessions, limits: { authFailBaseDelayMs: 1, authFailMaxDelayMs: 1 } });
  const origin = `http://127.0.0.1:${s.port}`;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    request(s.port, path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', origin, ...headers } });
  return { s, sessions, origin, post };
}

describe('the control page over HTTP (src/gateway/web-page.ts)', () => {
  it('serves the page without any token in it, with a strict CSP, no framing and no-store', async () => {
    const { s } = await pageServer();
    const page = await request(s.port, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).not.toContain(TOKEN);
    expect(page.body).not.toMatch(/<script>|<style>|style=/); // nothing inline for the CSP to refuse
  });

  it('static files are a fixed allow-list: the UI libraries from node_modules, nothing reachable by path', async () => {
    const { s } = await pageServer();
    for (const url of [...Object.keys(PAGE_FILES), ...Object.keys(VENDOR_FILES)]) expect((await request(s.port, url)).status).toBe(200);
    const hooks = await request(s.port, '/ui/vendor/hooks.mjs');
    expect(hooks.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(hooks.body).toContain('from"/ui/vendor/preact.mjs"');
    expect(hooks.body).not.toMatch(/from\s*["']preact["']/);
    for (const evil of ['/ui/../package.json', '/ui/%2e%2e/package.json', '/ui/vendor/..%2f..%2fpackage.json', '/package.json', '/web/app.js', '/ui/vendor/preact.mjs/', '//etc/passwd']) {
      expect((await request(s.port, evil)).status, evil).toBe(404);
    }
  });

  it('a one-time code signs in once: a session cookie (HttpOnly, SameSite=Strict, Path=/) that opens the WebSocket', async () => {
    const { s, sessions, post } = await pageServer();
    const { code } = sessions.issueCode();
    const ok = await post('/ui/session', { code });
    expect(ok.status).toBe(200);
    const cookie = String(ok.headers['set-cookie']);
    expect(cookie).toMatch(/^wagate_session=[\w-]+; HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+$/);
    expect((await post('/ui/session', { code })).status).toBe(401); // used up
    const pair = cookie.split(';')[0]!;
    expect((await request(s.port, '/ui/session', { headers: { cookie: pair } })).status).toBe(200);
    expect((await request(s.port, '/ui/session')).status).toBe(401);

    // The cookie authenticates the WebSocket: `connect` needs no token.
    const sock = await raw(s.url, { headers: { cookie: pair, origin: `http://127.0.0.1:${s.port}` } });
    sock.ws.send(JSON.stringify({ type: 'req', id: 1, method: 'connect', params: {} }));
    expect(await sock.next()).toMatchObject({ type: 'res', id: 1, ok: true, payload: { type: 'hello-ok' } });
    // Signing out ends the session and closes the socket riding on it.
    expect(String((await post('/ui/logout', {}, { cookie: pair })).headers['set-cookie'])).toContain('Max-Age=0');
    expect((await sock.closed).code).toBe(1008);
    expect((await request(s.port, '/ui/session', { headers: { cookie: pair } })).status).toBe(401);
  });

  it('signs in with the pasted token; a wrong token or code is refused', async () => {
    const { post } = await pageServer();
    expect((await post('/ui/session', { token: TOKEN })).status).toBe(200);
    const wrong = await post('/ui/session', { token: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    expect((await post('/ui/session', { code: 'made-up' })).status).toBe(401);
    expect((await post('/ui/session', { other: 1 })).status).toBe(400);
  });

  it('refuses a foreign Origin (and a POST without Origin) for the code exchange, and a foreign Origin for the WebSocket even with a session cookie', async () => {
    const { s, sessions, post } = await pageServer();
    const { code } = sessions.issueCode();
    expect((await post('/ui/session', { code }, { origin: 'https://evil.example' })).status).toBe(403);
    const noOrigin = await request(s.port, '/ui/session', { method: 'POST', body: JSON.stringify({ code }) });
    expect(noOrigin.status).toBe(403);
    expect((await post('/ui/session', { code })).status).toBe(200); // the refused attempts did not spend it
    const session = sessions.create();
    const cookie = `${SESSION_COOKIE}=${session.id}`;
    expect(await upgradeStatus(s.url, { headers: { cookie, origin: 'https://evil.example' } })).toBe(403);
    // A forged cookie gets no authenticated socket: it must still send the token.
    const forged = await raw(s.url, { headers: { cookie: `${SESSION_COOKIE}=forged` } });
    forged.ws.send(JSON.stringify({ type: 'req', id: 1, method: 'connect', params: {} }));
    expect(await forged.next()).toMatchObject({ ok: false, error: { code: 'WAGATE_ERR_UNAUTHORIZED' } });
  });
});
