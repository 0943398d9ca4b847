import { afterEach, describe, expect, it, vi } from 'vitest';
import { until } from '../../helpers/until.js';
import { useSim } from './fixture.js';

const PHONE = '+15550000001';

describe('faults give the documented close codes', () => {
  const f = useSim();
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([440, 500] as const)('kick(%s) closes the client with that code', async (code) => {
    const c = await f.linked(PHONE);
    f.sim.kick(PHONE, code);
    expect(await c.waitClose()).toBe(code);
  });

  it('kick(401) logs the device out: 401 live, and 401 at the next login', async () => {
    const c = await f.linked(PHONE);
    f.sim.kick(PHONE, 401);
    expect(await c.waitClose()).toBe(401);
    expect(f.sim.hub.companions.has('15550000001')).toBe(false);
    c.connect();
    expect(await c.waitClose()).toBe(401);
  });

  it('kick(515) asks for a restart; the client reconnects and opens again', async () => {
    const c = await f.linked(PHONE);
    f.sim.kick(PHONE, 515);
    expect(await c.waitClose()).toBe(515);
    await c.waitOpen();
  });

  it('drop() closes the socket: 428', async () => {
    const c = await f.linked(PHONE);
    f.sim.drop(PHONE);
    expect(await c.waitClose()).toBe(428);
  });

  it('stall() stops answering keep-alives: 408', async () => {
    const c = await f.linked(PHONE, { config: { keepAliveIntervalMs: 100 } });
    f.sim.stall(PHONE);
    // Baileys declares the connection lost after keepAliveIntervalMs + 5 s of silence
    // by the wall clock; move the clock instead of waiting.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 10_000);
    expect(await c.waitClose(2000)).toBe(408);
  });

  it('failNextLogin(401) refuses one login, the next succeeds', async () => {
    const c = await f.linked(PHONE);
    await c.end();
    f.sim.failNextLogin(PHONE, 401);
    c.reopen();
    expect(await c.waitClose()).toBe(401);
    c.connect();
    await c.waitOpen();
  });

  it('a second client with the same creds replaces the first with 440', async () => {
    const first = await f.linked(PHONE);
    const second = f.client({ auth: first.auth });
    second.connect();
    expect(await first.waitClose()).toBe(440);
    await second.waitOpen();
    expect(f.sim.hub.companions.get('15550000001')!.online).toBe(true);
  });

  it('the session log: a replacement shows as two live sockets and a 440 replaced; a kick as a 440 kick', async () => {
    const first = await f.linked(PHONE);
    expect(f.sim.maxLive(PHONE)).toBe(1);
    const second = f.client({ auth: first.auth });
    second.connect();
    expect(await first.waitClose()).toBe(440);
    await second.waitOpen();
    expect(f.sim.maxLive(PHONE)).toBe(2);
    expect(f.sim.conflicts()).toEqual([{ user: '15550000001', at: expect.any(Number), code: 440, why: 'replaced' }]);
    await until(() => f.sim.sessionLog(PHONE)[0]!.closedAt !== undefined, 'the replaced socket closed');
    const [old, now] = f.sim.sessionLog(PHONE);
    expect(old!.endCode).toBe(440);
    expect(old!.endedAt!).toBeGreaterThanOrEqual(old!.loginAt);
    expect(now!.loginAt).toBeGreaterThanOrEqual(old!.endedAt!);
    expect(now!.endedAt).toBeUndefined();
    expect(now!.closedAt).toBeUndefined();

    // What a client sends after the server ended its session is counted on that session.
    // The client stops reading (as a paused process does) so it sends before it hears the 440.
    const ws = (second.sock!.ws as unknown as { socket: { pause(): void; resume(): void } }).socket;
    ws.pause();
    f.sim.kick(PHONE, 440);
    await second.sock!.sendNode({ tag: 'presence', attrs: { type: 'available' } });
    ws.resume();
    expect(await second.waitClose()).toBe(440);
    await until(() => f.sim.sessionLog(PHONE)[1]!.afterEnd.presence === 1, 'the stale presence counted');
    expect(f.sim.conflicts().map((c) => c.why)).toEqual(['replaced', 'kick']);
    // One at a time again: a later login alone does not raise maxLive.
    second.connect();
    await second.waitOpen();
    expect(f.sim.maxLive(PHONE)).toBe(2);
    expect(f.sim.sessionLog(PHONE)).toHaveLength(3);
  });

  it('kick() of an account without a live session throws', () => {
    expect(() => f.sim.kick('+15559999999', 440)).toThrow(/no live session/);
  });
});
