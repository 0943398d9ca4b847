import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { createBus } from '../../src/bus/bus.js';
import { AccountRuntime } from '../../src/gateway/account-runtime.js';
import { silentLogger } from '../../src/log.js';
import type { InboundMessage } from '../../src/ports/inbound.js';
import { dm } from '../access/harness.js';
import { FakeAccountTransport } from '../helpers/fake-transport.js';

describe('AccountRuntime: messages already acknowledged to WhatsApp are never dropped', () => {
  it('messages a connection releases while it is being closed or replaced still reach the bus; its late lifecycle events do not', async () => {
    const clock = new SimulatedClock();
    const transport = new FakeAccountTransport('work', true);
    const bus = createBus(silentLogger());
    const rt = new AccountRuntime({ accountId: 'work', transport, bus, logger: silentLogger(), heartbeatSeconds: 60, reconnect: { jitter: 0 }, clock, now: () => clock.now() });
    const received: InboundMessage[] = [];
    let connectedEvents = 0;
    bus.on('message.received', (e) => void received.push(e.message));
    bus.on('account.connected', () => void connectedEvents++);
    await rt.start();
    const first = transport.current;
    first.open();
    // The connection drops; the machine backs off and opens a second one.
    first.emit({ type: 'close', code: 428, reason: 'connection lost' });
    clock.increment(60_000);
    expect(transport.connections).toHaveLength(2);
    // Baileys releases what it held on the first socket only as that socket ends.
    first.emit({ type: 'messages', messages: [dm('+15557654321', 'held', { accountId: 'work', id: 'HELD1' })] });
    first.open(); // a stale lifecycle event of the replaced connection
    expect(received.map((m) => m.id)).toEqual(['HELD1']);
    expect(connectedEvents).toBe(1);
    expect(rt.state).toBe('connecting');
    await rt.stop();
  });
});
