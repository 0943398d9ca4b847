import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startWebHeartbeat, type HeartbeatSource } from '../../src/actors/web-heartbeat.js';
import { createBus } from '../../src/bus/bus.js';
import type { BusEvents } from '../../src/bus/events.js';
import { silentLogger } from '../../src/log.js';

afterEach(() => vi.useRealTimers());

function memoryLogger() {
  const lines: any[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).trim().split('\n')) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('web-heartbeat', () => {
  it('logs web-heartbeat for each connected account every interval, with uptime, attempts and messages handled', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const { logger, lines } = memoryLogger();
    const bus = createBus(silentLogger());
    const accounts = new Map<string, HeartbeatSource>([
      ['work', { accountId: 'work', state: 'connected', context: { attempt: 0, connectedSince: 1_000_000 }, lastActivity: () => 1_000_500 }],
      ['home', { accountId: 'home', state: 'backing-off', context: { attempt: 2, connectedSince: null }, lastActivity: () => null }],
    ]);
    const beats: BusEvents['account.heartbeat'][] = [];
    bus.on('account.heartbeat', (b) => void beats.push(b));
    const actor = startWebHeartbeat({ bus, accounts, logger, intervalMs: 60_000, now: () => Date.now() });
    bus.emit('message.received', { accountId: 'work', message: {} as never });
    await vi.advanceTimersByTimeAsync(60_000);
    const hb = lines.filter((l) => l.msg === 'web-heartbeat');
    expect(hb).toHaveLength(1);
    expect(hb[0]).toMatchObject({ subsystem: 'web-heartbeat', accountId: 'work', uptimeMs: 60_000, attempt: 0, messagesHandled: 1, lastMessageAt: 1_000_000 });
    expect(beats.map((b) => b.accountId)).toEqual(['work']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(lines.filter((l) => l.msg === 'web-heartbeat')).toHaveLength(2);
    actor.stop();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(lines.filter((l) => l.msg === 'web-heartbeat')).toHaveLength(2);
    expect(bus.listenerCount('message.received')).toBe(0);
  });

  it('web.heartbeatSeconds 2,147,484 (just over Node\'s 2^31−1 ms) beats after that long, not every millisecond', async () => {
    vi.useFakeTimers({ now: 0 });
    const bus = createBus(silentLogger());
    const accounts = new Map<string, HeartbeatSource>([
      ['work', { accountId: 'work', state: 'connected', context: { attempt: 0, connectedSince: 0 }, lastActivity: () => null }],
    ]);
    let beats = 0;
    bus.on('account.heartbeat', () => void (beats += 1));
    const intervalMs = 2_147_484 * 1000;
    const actor = startWebHeartbeat({ bus, accounts, logger: silentLogger(), intervalMs, now: () => Date.now() });
    await vi.advanceTimersByTimeAsync(1000);
    expect(beats).toBe(0);
    await vi.advanceTimersByTimeAsync(intervalMs - 1000);
    expect(beats).toBe(1);
    await vi.advanceTimersByTimeAsync(intervalMs);
    expect(beats).toBe(2);
    actor.stop();
  });
});
