import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { e2e, until, type E2E } from './harness.js';

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const PHONE = '+15550001000';

async function linked(opts: { keepAliveIntervalMs?: number } = {}) {
  h = await e2e({ channels: { whatsapp: { accounts: { work: {} } } } }, opts);
  const gw = await h.startGateway();
  expect((await h.link('work', PHONE)).code).toBe(0);
  const rt = gw.accounts.get('work')!;
  await until(() => rt.state === 'connected', 'connected');
  return { h, gw, rt };
}

async function statusText(env: Record<string, string>): Promise<string> {
  return (await runCli(['channels', 'status'], env)).stdout;
}

function connectsAfter(rt: { transitions(): { event: string; to: string; at: number }[] }, index: number): number {
  return rt.transitions().slice(index).filter((t) => t.to === 'connecting').length;
}

describe('faults land in the documented state with the documented status (real Baileys ↔ simulator)', () => {
  it('401 live → logged-out, "run `wagate channels login`", never retried', async () => {
    const { h, rt } = await linked();
    h.sim.kick(PHONE, 401);
    await until(() => rt.state === 'logged-out', 'logged-out');
    expect(rt.context.lastClose?.code).toBe(401);
    expect(rt.context.error?.message).toContain('wagate channels login');
    const text = await statusText(h.env);
    expect(text).toContain('Logged out: WhatsApp removed this device; run `wagate channels login --account work` again');
    const mark = rt.transitions().length;
    h.clock.increment(10 * 60_000);
    expect(connectsAfter(rt, mark)).toBe(0);
  });

  it('401 at login → logged-out', async () => {
    const { h } = await linked();
    await h.stopGateway();
    h.sim.failNextLogin(PHONE, 401);
    const gw = await h.startGateway();
    const rt = gw.accounts.get('work')!;
    await until(() => rt.state === 'logged-out', 'logged-out at login');
    expect(rt.context.lastClose?.code).toBe(401);
    expect(await statusText(h.env)).toContain('Logged out:');
  });

  it('440 → degraded (conflict) with the fix text, and no reconnect attempt in the next 10 simulated minutes', async () => {
    const { h, rt } = await linked();
    h.sim.kick(PHONE, 440);
    await until(() => rt.state === 'degraded', 'degraded');
    expect(rt.context.error).toMatchObject({ code: 'WAGATE_ERR_CONFLICT', message: expect.stringContaining('another client uses this session; stop it, then restart') });
    const mark = rt.transitions().length;
    for (let i = 0; i < 10; i++) h.clock.increment(60_000);
    expect(connectsAfter(rt, mark)).toBe(0);
    expect(rt.state).toBe('degraded');
    expect(await statusText(h.env)).toContain('Conflict: another client uses this session; stop it, then restart the gateway');
  });

  it('500 → backing-off, then reconnects when the retry timer fires', async () => {
    const { h, rt } = await linked();
    h.sim.kick(PHONE, 500);
    await until(() => rt.state === 'backing-off', 'backing-off');
    expect(rt.context).toMatchObject({ attempt: 1, lastClose: { code: 500 } });
    expect(rt.context.nextRetryAt).toBeGreaterThan(0);
    expect(await statusText(h.env)).toContain('Linked but disconnected');
    h.clock.increment(30_000);
    await until(() => rt.state === 'connected', 'reconnected after 500');
  });

  it('515 → reconnects at once, not counted as a failure', async () => {
    const { h, rt } = await linked();
    const mark = rt.transitions().length;
    h.sim.kick(PHONE, 515);
    await until(() => connectsAfter(rt, mark) > 0 && rt.state === 'connected', 'reconnected after 515');
    expect(rt.context.attempt).toBe(0);
    expect(rt.context.lastClose?.code).toBe(515);
  });

  it('drop → 428 → backing-off → reconnect', async () => {
    const { h, rt } = await linked();
    h.sim.drop(PHONE);
    await until(() => rt.state === 'backing-off', 'backing-off after drop');
    expect(rt.context.lastClose?.code).toBe(428);
    h.clock.increment(30_000);
    await until(() => rt.state === 'connected', 'reconnected after drop');
  });

  it('stall → 408 (keep-alives unanswered) → backing-off', async () => {
    const { h, rt } = await linked({ keepAliveIntervalMs: 500 });
    h.sim.stall(PHONE);
    await until(() => rt.state === 'backing-off', 'backing-off after stall', 15_000);
    expect(rt.context.lastClose?.code).toBe(408);
  });
});
