import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startWebReconnect } from '../../src/actors/web-reconnect.js';
import { createBus } from '../../src/bus/bus.js';
import type { BusEvents } from '../../src/bus/events.js';
import { silentLogger } from '../../src/log.js';

function memoryLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).trim().split('\n')) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const change = (p: Partial<BusEvents['account.state.changed']>): BusEvents['account.state.changed'] => ({
  accountId: 'work',
  from: 'connected',
  to: 'backing-off',
  attempt: 1,
  nextRetryAt: null,
  lastClose: null,
  error: null,
  at: 10_000,
  ...p,
});

describe('web-reconnect', () => {
  it('logs a lost connection with the attempt and delay, each attempt, the way back, and giving up; nothing else', () => {
    const { logger, lines } = memoryLogger();
    const bus = createBus(silentLogger());
    const actor = startWebReconnect({ bus, logger });
    const close = { kind: 'retry' as const, code: 428, reason: 'connection closed', at: 9_000 };
    bus.emit('account.state.changed', change({ from: null, to: 'connecting', attempt: 0 })); // first start: no line
    bus.emit('account.state.changed', change({ from: 'connecting', to: 'connected', attempt: 0 })); // first open: no line
    bus.emit('account.state.changed', change({ to: 'backing-off', attempt: 1, nextRetryAt: 12_500, lastClose: close }));
    bus.emit('account.state.changed', change({ from: 'backing-off', to: 'connecting', attempt: 1, at: 12_500, lastClose: close }));
    bus.emit('account.state.changed', change({ from: 'connecting', to: 'connected', attempt: 1, at: 13_000 }));
    bus.emit('account.state.changed', change({ from: 'connected', to: 'degraded', attempt: 12, error: { code: 'WAGATE_ERR_CONFLICT', message: 'replaced' } }));
    expect(lines.map((l) => [l.subsystem, l.accountId, l.msg])).toEqual([
      ['web-reconnect', 'work', 'connection lost; reconnect attempt 1 in 2.5 s'],
      ['web-reconnect', 'work', 'reconnecting (attempt 1)'],
      ['web-reconnect', 'work', 'reconnected after 1 attempt(s)'],
      ['web-reconnect', 'work', 'no more reconnects: degraded (replaced)'],
    ]);
    expect(lines[0]).toMatchObject({ level: 40, attempt: 1, delayMs: 2500, nextRetryAt: 12_500, closeCode: 428 });
    actor.stop();
    bus.emit('account.state.changed', change({}));
    expect(lines).toHaveLength(4);
  });
});
