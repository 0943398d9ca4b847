import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { createBus } from '../../src/bus/bus.js';
import { AccountRuntime } from '../../src/gateway/account-runtime.js';
import { sharedAccountMachine } from '../../src/gateway/shared-account-machine.js';
import { silentLogger } from '../../src/log.js';
import { FakeAccountTransport } from '../helpers/fake-transport.js';

describe('one account machine shared by every account (memory per account)', () => {
  it('the same clock functions give the same machine; other ones another', () => {
    const now = () => 0;
    const random = () => 0.5;
    expect(sharedAccountMachine(now, random)).toBe(sharedAccountMachine(now, random));
    expect(sharedAccountMachine(Date.now, Math.random)).toBe(sharedAccountMachine(Date.now, Math.random));
    expect(sharedAccountMachine(now, Math.random)).not.toBe(sharedAccountMachine(now, random));
  });

  it("each account's connections go to its own transport, and each account's events stay its own", async () => {
    const clock = new SimulatedClock();
    const now = () => clock.now();
    const bus = createBus(silentLogger());
    const connected: string[] = [];
    bus.on('account.connected', (e) => void connected.push(e.accountId));
    const transports = ['a', 'b', 'c'].map((id) => new FakeAccountTransport(id, true));
    const runtimes = transports.map(
      (transport) =>
        new AccountRuntime({ accountId: transport.accountId, transport, bus, logger: silentLogger(), heartbeatSeconds: 60, reconnect: { jitter: 0 }, clock, now }),
    );
    await Promise.all(runtimes.map((rt) => rt.start()));
    expect(transports.map((t) => t.connections.length)).toEqual([1, 1, 1]);
    transports[1]!.current.open();
    expect(connected).toEqual(['b']);
    expect(runtimes.map((rt) => rt.state)).toEqual(['connecting', 'connected', 'connecting']);
    // b drops and reconnects on its own transport; a and c are not touched
    transports[1]!.current.emit({ type: 'close', code: 428, reason: 'connection lost' });
    clock.increment(60_000);
    expect(transports.map((t) => t.connections.length)).toEqual([1, 2, 1]);
    await Promise.all(runtimes.map((rt) => rt.stop()));
    expect(transports.every((t) => t.connections.every((c) => c.closed))).toBe(true);
  });
});
