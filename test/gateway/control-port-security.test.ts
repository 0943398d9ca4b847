/**
 * The control port before authentication (issue 10 items 4–6): time and frame
 * limits, socket caps, the Origin rule, and failed-auth logging and slowing.
 * Real WebSockets on 127.0.0.1:0; tiny configured limits instead of sleeps.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/validate.js';
import { connectControl, type ControlClient } from '../../src/gateway/control-client.js';
import { PRE_AUTH_MAX_FRAME_BYTES } from '../../src/gateway/protocol.js';
import { captureLogger, closeTestServers, raw, startTestServer as start, TOKEN, upgradeStatus } from './control-helpers.js';

afterEach(closeTestServers);

const connectFrame = (token: string, id: string | number = 1) => JSON.stringify({ type: 'req', id, method: 'connect', params: { token } });

/** A WebSocket frame header from a raw TCP socket: text, masked, announcing `length` bytes. */
function frameHeader(length: number): Buffer {
  const h = Buffer.alloc(14);
  h[0] = 0x81;
  h[1] = 0x80 | 127;
  h.writeBigUInt64BE(BigInt(length), 2);
  h.writeUInt32BE(0x01020304, 10);
  return h;
}

describe('control port: exhaustion before auth', () => {
  it('closes a socket that does not authenticate within the auth timeout', async () => {
    const s = await start({ limits: { authTimeoutMs: 30 } });
    const r = await raw(s.url);
    expect(await r.closed).toEqual({ code: 1008, reason: 'authentication timeout' });
    expect(r.frames).toEqual([]);
  });

  it('a socket that authenticated in time is not closed by the auth timeout', async () => {
    // long enough that a loaded machine still authenticates in time (30 ms was flaky under load)
    const s = await start({ limits: { authTimeoutMs: 1000 } });
    const r = await raw(s.url);
    r.ws.send(connectFrame(TOKEN));
    expect(await r.next(1)).toMatchObject({ ok: true });
    const late = await raw(s.url); // outlives its own timeout: proves the first one has passed it
    await late.closed;
    r.ws.send(JSON.stringify({ type: 'req', id: 2, method: 'echo', params: { text: 'still here' } }));
    expect(await r.next(2)).toMatchObject({ ok: true, payload: { text: 'still here' } });
    r.ws.close();
  });

  it('answers the first bad frame before auth once, then closes; later frames get nothing', async () => {
    const s = await start();
    const r = await raw(s.url);
    for (let i = 0; i < 20; i++) r.ws.send('{not json');
    expect(await r.closed).toMatchObject({ code: 1008 });
    expect(r.frames).toHaveLength(1);
    expect(r.frames[0]).toMatchObject({ ok: false, error: { code: 'WAGATE_ERR_BAD_REQUEST' } });
  });

  it('refuses a pre-auth frame over the pre-auth limit from its header, before its payload arrives', async () => {
    const s = await start();
    const sock = net.connect(s.port, '127.0.0.1');
    sock.on('error', () => undefined);
    const got: Buffer[] = [];
    sock.on('data', (d) => got.push(d));
    await new Promise((r) => sock.once('connect', r));
    sock.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    // Announce a 1 MiB frame, send only its header and 10 bytes: the server must not wait for the rest.
    sock.write(Buffer.concat([frameHeader(1024 * 1024), Buffer.alloc(10)]));
    await new Promise((r) => sock.once('close', r));
    const reply = Buffer.concat(got);
    expect(reply.toString('latin1')).toMatch(/^HTTP\/1\.1 101/);
    const close = reply.subarray(reply.indexOf('\r\n\r\n') + 4);
    expect(close[0]).toBe(0x88); // close frame
    expect(close.readUInt16BE(2)).toBe(1009); // message too big
  });

  it('a frame just over the pre-auth limit is refused (1009); after auth frames up to 1 MiB work', async () => {
    const s = await start();
    const big = JSON.stringify({ type: 'req', id: 1, method: 'connect', params: { token: 'x'.repeat(PRE_AUTH_MAX_FRAME_BYTES) } });
    const r = await raw(s.url);
    r.ws.send(big);
    expect((await r.closed).code).toBe(1009);
    const c = await connectControl({ url: s.url, token: TOKEN });
    const text = 'y'.repeat(512 * 1024);
    expect(await c.requestRaw('echo', { text })).toEqual({ text });
    c.close();
  });

  it('after auth a frame over maxPayload closes the socket (1009); one over 1 MiB gets an error', async () => {
    const s = await start({ limits: { maxFrameBytes: 16 * 1024, maxPayloadBytes: 64 * 1024 } });
    const r = await raw(s.url);
    r.ws.send(connectFrame(TOKEN));
    await r.next(1);
    r.ws.send(JSON.stringify({ type: 'req', id: 2, method: 'echo', params: { text: 'z'.repeat(20 * 1024) } }));
    expect(await r.next(2)).toMatchObject({ ok: false, error: { code: 'WAGATE_ERR_FRAME_TOO_LARGE' } });
    r.ws.send('w'.repeat(65 * 1024));
    expect((await r.closed).code).toBe(1009);
  });

  it('refuses upgrades beyond the unauthenticated cap with 503, yet a client with the token still gets in', async () => {
    const s = await start({ limits: { maxUnauthenticated: 3, maxSockets: 8 } });
    const idle = await Promise.all([1, 2, 3].map(() => raw(s.url)));
    expect(await upgradeStatus(s.url)).toBe(503);
    const c = await connectControl({ url: s.url, token: TOKEN });
    expect(await c.requestRaw('echo', { text: 'in' })).toEqual({ text: 'in' });
    // The refused ones never counted: once an idle socket leaves, a plain client fits again.
    idle[0]!.ws.close();
    await idle[0]!.closed;
    const again = await raw(s.url);
    again.ws.send(connectFrame(TOKEN));
    expect(await again.next(1)).toMatchObject({ ok: true });
    c.close();
    for (const r of [...idle, again]) r.ws.close();
  });

  it('refuses upgrades beyond the total cap with a clear 503, and admits again when one leaves', async () => {
    const s = await start({ limits: { maxUnauthenticated: 1, maxSockets: 3 } });
    const clients: ControlClient[] = [];
    for (let i = 0; i < 3; i++) clients.push(await connectControl({ url: s.url, token: TOKEN }));
    await expect(connectControl({ url: s.url, token: TOKEN })).rejects.toMatchObject({
      code: 'WAGATE_ERR_GATEWAY_UNREACHABLE',
      message: expect.stringContaining('too many control connections'),
    });
    clients[0]!.close();
    await clients[0]!.closed;
    clients[0] = await connectControl({ url: s.url, token: TOKEN });
    expect(await clients[0].requestRaw('echo', { text: 'back' })).toEqual({ text: 'back' });
    for (const c of clients) c.close();
  });
});

describe('control port: browsers (Origin)', () => {
  it('refuses an upgrade from a foreign Origin with 403; no Origin (the CLI) still works', async () => {
    const s = await start();
    expect(await upgradeStatus(s.url, { origin: 'https://evil.example' })).toBe(403);
    expect(await upgradeStatus(s.url, { origin: 'null' })).toBe(403);
    expect(await upgradeStatus(s.url, { origin: `http://127.0.0.1:${s.port + 1}` })).toBe(403);
    const c = await connectControl({ url: s.url, token: TOKEN });
    expect(await c.requestRaw('echo', { text: 'cli' })).toEqual({ text: 'cli' });
    c.close();
  });

  it("accepts the gateway's own origin (and its loopback aliases) and configured gateway.allowedOrigins", async () => {
    const s = await start({ allowedOrigins: ['http://localhost:3000'] });
    for (const origin of [`http://127.0.0.1:${s.port}`, `http://localhost:${s.port}`, `HTTP://LOCALHOST:${s.port}/`, 'http://localhost:3000']) {
      const r = await raw(s.url, { origin });
      r.ws.send(connectFrame(TOKEN));
      expect(await r.next(1), origin).toMatchObject({ ok: true });
      r.ws.close();
    }
  });

  it('gateway.allowedOrigins defaults to [] and takes origins only', () => {
    expect(validateConfig({}, 'wagate.json').gateway.allowedOrigins).toEqual([]);
    expect(validateConfig({ gateway: { allowedOrigins: ['https://app.example:8443'] } }, 'wagate.json').gateway.allowedOrigins).toEqual([
      'https://app.example:8443',
    ]);
    expect(() => validateConfig({ gateway: { allowedOrigins: ['app.example/path'] } }, 'wagate.json')).toThrow(
      /gateway\.allowedOrigins\[0\] is "app.example\/path"; expected an origin/,
    );
  });
});

describe('control port: brute force', () => {
  it('logs failed auths once per address per minute with a count, never the guessed token', async () => {
    let now = 1_000_000;
    const { logger, lines } = captureLogger();
    const s = await start({ logger, now: () => now, limits: { authFailBaseDelayMs: 1, authFailMaxDelayMs: 1 } });
    const guess = (i: number) => `guess-${i}-secret-looking-value`;
    for (let i = 0; i < 5; i++) {
      const r = await raw(s.url);
      r.ws.send(connectFrame(guess(i)));
      expect(await r.next(1)).toMatchObject({ ok: false, error: { code: 'WAGATE_ERR_UNAUTHORIZED' } });
      await r.closed;
    }
    const warns = () => lines.filter((l) => l.level === 40 && /auth failed/.test(l.msg));
    expect(warns()).toHaveLength(1);
    expect(warns()[0]).toMatchObject({ remote: '127.0.0.1', failures: 1 });
    now += 61_000;
    await expect(connectControl({ url: s.url, token: guess(5) })).rejects.toMatchObject({ code: 'WAGATE_ERR_UNAUTHORIZED' });
    expect(warns()).toHaveLength(2);
    expect(warns()[1]).toMatchObject({ remote: '127.0.0.1', failures: 5, totalFailures: 6 });
    const text = JSON.stringify(lines);
    for (let i = 0; i <= 5; i++) expect(text).not.toContain(guess(i));
  });

  it('holds the answer to a wrong token for the delay while the right token is served at once', async () => {
    const s = await start({ limits: { authFailBaseDelayMs: 60_000 } });
    const bad = await raw(s.url);
    bad.ws.send(connectFrame('wrong-token'));
    const badHeader = connectControl({ url: s.url, token: 'wrong-too' });
    badHeader.catch(() => undefined);
    const good = await connectControl({ url: s.url, token: TOKEN });
    expect(await good.requestRaw('echo', { text: 'owner' })).toEqual({ text: 'owner' });
    expect(bad.frames).toEqual([]);
    expect(bad.ws.readyState).toBe(bad.ws.OPEN);
    good.close();
    // closeTestServers() ends the held ones.
  });

  it('while unauthenticated sockets are full, a wrong bearer token is refused without retrying during its delay', async () => {
    const s = await start({ limits: { maxUnauthenticated: 1, authFailBaseDelayMs: 60_000 } });
    const idle = await raw(s.url);
    expect(await upgradeStatus(s.url, { headers: { authorization: 'Bearer wrong-1' } })).toBe(401);
    expect(await upgradeStatus(s.url, { headers: { authorization: 'Bearer wrong-2' } })).toBe(503);
    idle.ws.close();
  });

  it('refuses a configured token shorter than 16 characters beyond loopback, at startup and in the config', async () => {
    await expect(start({ host: '0.0.0.0', token: 'short-token', tokenConfigured: true })).rejects.toMatchObject({
      code: 'WAGATE_ERR_CONFIG',
      message: expect.stringContaining('at least 16'),
    });
    const err = (() => {
      try {
        validateConfig({ gateway: { bind: '0.0.0.0', auth: { token: 'short-token' } } }, 'wagate.json');
      } catch (e) {
        return e as Error;
      }
      return null;
    })();
    expect(err?.message).toMatch(/gateway\.auth\.token .*at least 16 characters/);
    expect(err?.message).not.toContain('short-token');
    expect(validateConfig({ gateway: { bind: '127.0.0.1', auth: { token: 'short-token' } } }, 'wagate.json').gateway.auth.token).toBe('short-token');
    expect(validateConfig({ gateway: { bind: '0.0.0.0', auth: { token: 'x'.repeat(16) } } }, 'wagate.json').gateway.bind).toBe('0.0.0.0');
  });
});
