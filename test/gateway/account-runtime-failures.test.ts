import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { BusEvents } from '../../src/bus/events.js';
import { createBus } from '../../src/bus/bus.js';
import { AccountRuntime } from '../../src/gateway/account-runtime.js';
import { silentLogger } from '../../src/log.js';
import { FakeAccountTransport } from '../helpers/fake-transport.js';

function runtime(linked = true) {
  const clock = new SimulatedClock();
  const transport = new FakeAccountTransport('work', linked);
  const bus = createBus(silentLogger());
  const rt = new AccountRuntime({ accountId: 'work', transport, bus, logger: silentLogger(), heartbeatSeconds: 60, reconnect: { jitter: 0 }, clock, now: () => clock.now() });
  const disconnected: BusEvents['account.disconnected'][] = [];
  bus.on('account.disconnected', (e) => void disconnected.push(e));
  return { clock, transport, bus, rt, disconnected };
}

const CREDS = { code: 'WAGATE_ERR_CREDS', message: 'Cannot read creds.json (EISDIR); fix it.', cause: 'EISDIR' } as const;

describe('AccountRuntime: failures keep their cause', () => {
  it('a connection that cannot be opened locally goes degraded with its own error, not a fake 401 logged-out', async () => {
    const { transport, rt, disconnected } = runtime();
    await rt.start();
    transport.current.emit({ type: 'close', code: null, reason: CREDS.message, error: CREDS });
    expect(rt.state).toBe('degraded');
    expect(rt.context.error).toEqual(CREDS);
    expect(rt.context.lastClose).toMatchObject({ kind: 'failed', code: null });
    expect(disconnected).toEqual([expect.objectContaining({ kind: 'failed', code: null, error: CREDS })]);
    await rt.stop();
  });

  it('leaving the connection states closes the socket once; a replaced connection never moves the machine', async () => {
    const { clock, transport, rt } = runtime();
    await rt.start();
    const first = transport.current;
    first.open();
    first.emit({ type: 'close', code: 515, reason: 'restart required' });
    expect(rt.state).toBe('connecting');
    expect(transport.connections).toHaveLength(2);
    expect(first.closed).toBe(true);
    first.emit({ type: 'close', code: 401, reason: 'late' });
    expect(rt.state).toBe('connecting');
    transport.current.open();
    expect(() => rt.activeConnection()).not.toThrow();
    expect(rt.activeConnection()).toBe(transport.current);
    rt.cancelLogin(); // not linking: nothing happens
    await rt.stop();
    expect(transport.connections.every((c) => c.closed)).toBe(true);
    clock.increment(10 * 60_000);
    expect(transport.connections).toHaveLength(2);
  });
});
