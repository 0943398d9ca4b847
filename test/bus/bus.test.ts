import { describe, expect, it, vi } from 'vitest';
import { createBus } from '../../src/bus/bus.js';
import { until } from '../helpers/until.js';

const payload = { accountId: 'a', uptimeMs: 1, attempt: 0, messagesHandled: 0, lastMessageAt: null, at: 1 };

function fakeLog() {
  return { error: vi.fn() };
}

describe('bus', () => {
  it('delivers a payload to every handler of the event, and only that event', () => {
    const bus = createBus(fakeLog());
    const a = vi.fn();
    const b = vi.fn();
    const other = vi.fn();
    bus.on('account.heartbeat', a);
    bus.on('account.heartbeat', b);
    bus.on('account.qr.updated', other);
    bus.emit('account.heartbeat', payload);
    expect(a).toHaveBeenCalledWith(payload);
    expect(b).toHaveBeenCalledWith(payload);
    expect(other).not.toHaveBeenCalled();
  });

  it('a handler that throws is logged with the event name and the others still run', () => {
    const log = fakeLog();
    const bus = createBus(log);
    const after = vi.fn();
    bus.on('account.heartbeat', () => {
      throw new Error('boom');
    });
    bus.on('account.heartbeat', after);
    expect(() => bus.emit('account.heartbeat', payload)).not.toThrow();
    expect(after).toHaveBeenCalledOnce();
    expect(log.error).toHaveBeenCalledOnce();
    const [obj, msg] = log.error.mock.calls[0]!;
    expect(obj).toMatchObject({ event: 'account.heartbeat' });
    expect((obj as { err: Error }).err.message).toBe('boom');
    expect(msg).toContain('account.heartbeat');
  });

  it('a handler whose promise rejects is logged with the event name and the others still run', async () => {
    const log = fakeLog();
    const bus = createBus(log);
    const after = vi.fn();
    bus.on('account.heartbeat', async () => {
      await Promise.resolve();
      throw new Error('async boom');
    });
    bus.on('account.heartbeat', after);
    bus.emit('account.heartbeat', payload);
    await bus.idle();
    expect(after).toHaveBeenCalledOnce();
    expect(log.error).toHaveBeenCalledOnce();
    expect(log.error.mock.calls[0]![0]).toMatchObject({ event: 'account.heartbeat' });
    expect((log.error.mock.calls[0]![0] as { err: Error }).err.message).toBe('async boom');
  });

  it('idle() waits for every handler promise, those started while it waits too, and a rejected one', async () => {
    const log = fakeLog();
    const bus = createBus(log);
    const gates: { open: () => void; fail: (e: Error) => void }[] = [];
    const gate = () => new Promise<void>((open, fail) => gates.push({ open, fail }));
    bus.on('account.heartbeat', () => gate());
    await bus.idle(); // nothing pending: at once
    bus.emit('account.heartbeat', payload);
    bus.emit('account.heartbeat', payload);
    let idle = false;
    const waiting = bus.idle().then(() => (idle = true));
    gates[0]!.open();
    await Promise.resolve();
    bus.emit('account.heartbeat', payload); // a third, started while idle() waits
    gates[1]!.fail(new Error('late failure'));
    await until(() => log.error.mock.calls.length === 1);
    expect(idle).toBe(false);
    gates[2]!.open();
    await waiting;
    expect(idle).toBe(true);
    expect(log.error.mock.calls[0]![0]).toMatchObject({ event: 'account.heartbeat' });
    await bus.idle();
  });

  it('unsubscribe and clear detach handlers; listenerCount tells', () => {
    const bus = createBus(fakeLog());
    const h = vi.fn();
    const off = bus.on('account.heartbeat', h);
    bus.on('account.qr.updated', vi.fn());
    expect(bus.listenerCount()).toBe(2);
    expect(bus.listenerCount('account.heartbeat')).toBe(1);
    off();
    bus.emit('account.heartbeat', payload);
    expect(h).not.toHaveBeenCalled();
    bus.clear();
    expect(bus.listenerCount()).toBe(0);
  });

  it('an emit calls the handlers attached when it began: one that detaches another mid-emit does not skip it', () => {
    const bus = createBus(fakeLog());
    const calls: string[] = [];
    let offB = () => undefined as void;
    bus.on('account.heartbeat', () => {
      calls.push('a');
      offB();
    });
    offB = bus.on('account.heartbeat', () => void calls.push('b'));
    bus.on('account.heartbeat', () => void calls.push('c'));
    bus.emit('account.heartbeat', payload);
    bus.emit('account.heartbeat', payload);
    expect(calls).toEqual(['a', 'b', 'c', 'a', 'c']);
  });
});

