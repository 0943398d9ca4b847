import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { createBus } from '../../src/bus/bus.js';
import { AccountRuntime } from '../../src/gateway/account-runtime.js';
import { silentLogger } from '../../src/log.js';
import { FakeAccountTransport } from '../helpers/fake-transport.js';

const WATCHDOG = 90_000;

async function connectedRuntime(reconnect: Record<string, number> = { jitter: 0 }) {
  const clock = new SimulatedClock();
  const transport = new FakeAccountTransport('work', true);
  const bus = createBus(silentLogger());
  const rt = new AccountRuntime({
    accountId: 'work',
    transport,
    bus,
    logger: silentLogger(),
    heartbeatSeconds: 60,
    reconnect,
    clock,
    now: () => clock.now(),
    watchdogMs: WATCHDOG,
  });
  await rt.start();
  transport.current.open();
  expect(rt.state).toBe('connected');
  return { clock, transport, rt };
}

describe('watchdog', () => {
  it('forces a reconnect when the connected transport is silent for the watchdog period', async () => {
    const { clock, transport, rt } = await connectedRuntime();
    clock.increment(WATCHDOG - 1);
    expect(rt.state).toBe('connected');
    clock.increment(1);
    expect(rt.state).toBe('backing-off');
    // Its own kind, not a borrowed WhatsApp code.
    expect(rt.context.lastClose).toMatchObject({ kind: 'stalled', code: null, reason: expect.stringContaining('watchdog') });
    expect(transport.connections[0]!.closed).toBe(true);
    await rt.stop();
  });

  it('frames from the server keep the connection alive', async () => {
    const { clock, transport, rt } = await connectedRuntime();
    for (let i = 0; i < 10; i++) {
      clock.increment(WATCHDOG / 2);
      transport.current.emit({ type: 'activity', at: clock.now() });
    }
    expect(rt.state).toBe('connected');
    expect(rt.watchdogFired()).toBe(0);
    await rt.stop();
  });

  it('cannot loop: it fires once per connection, and a reconnect starts a fresh full period', async () => {
    const { clock, transport, rt } = await connectedRuntime({ jitter: 0, initialMs: 2000 });
    clock.increment(WATCHDOG);
    expect(rt.watchdogFired()).toBe(1);
    expect(rt.state).toBe('backing-off');
    // The retry timer brings a new connection attempt; nothing else fires meanwhile.
    clock.increment(2000);
    expect(rt.state).toBe('connecting');
    expect(transport.connections).toHaveLength(2);
    expect(rt.watchdogFired()).toBe(1);
    // Not yet open: the watchdog is not armed, however long the login takes.
    clock.increment(WATCHDOG * 3);
    expect(rt.watchdogFired()).toBe(1);
    transport.current.open();
    // A stale deadline from the first connection must not fire right after the reconnect.
    clock.increment(WATCHDOG - 1);
    expect(rt.state).toBe('connected');
    expect(rt.watchdogFired()).toBe(1);
    clock.increment(1);
    expect(rt.watchdogFired()).toBe(2);
    // The silent connection's own late close is ignored (it was replaced).
    transport.connections[1]!.emit({ type: 'close', code: 428, reason: 'late' });
    expect(rt.context.lastClose?.reason).toContain('watchdog');
    await rt.stop();
    clock.increment(WATCHDOG * 10);
    expect(rt.watchdogFired()).toBe(2);
    expect(transport.connections).toHaveLength(2);
  });
});
