import { describe, expect, it } from 'vitest';
import { CLOSED_BY_US, type Connection, type ConnectionEvent, type ConnectionListener } from '../../src/ports/transport.js';
import { connectRetryingOutdated } from '../../src/whatsapp/web-version-retry.js';

/** Attempts the test ends by hand: each records the version it was given and its listener. */
function attempts() {
  const opened: { listener: ConnectionListener; refreshed: string | undefined; closed: number; sent: string[] }[] = [];
  const open = (listener: ConnectionListener, refreshed?: string): Connection => {
    const a = { listener, refreshed, closed: 0, sent: [] as string[] };
    opened.push(a);
    return {
      close: async () => {
        a.closed += 1;
      },
      sendText: async (_to: string, text: string) => {
        a.sent.push(text);
        return { id: `m${opened.indexOf(a)}` };
      },
    } as unknown as Connection;
  };
  return { opened, open };
}

function setup(pinned = false) {
  const { opened, open } = attempts();
  const events: ConnectionEvent[] = [];
  let refreshes = 0;
  let release: () => void = () => undefined;
  const refreshed = new Promise<void>((r) => (release = r));
  const conn = connectRetryingOutdated<string>({
    open,
    refresh: async () => {
      refreshes += 1;
      await refreshed;
      return '2.3000.NEW';
    },
    pinned,
    listener: (e) => events.push(e),
  });
  return { conn, opened, events, refreshes: () => refreshes, release };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('one refresh and one retry after a 405 (web-version-retry.ts)', () => {
  it('the first 405 is not reported: the version is fetched again and a second attempt opens with it', async () => {
    const h = setup();
    h.opened[0]!.listener({ type: 'close', code: 405, reason: 'Connection Failure' });
    expect(h.events).toEqual([]);
    h.release();
    await tick();
    expect(h.refreshes()).toBe(1);
    expect(h.opened).toHaveLength(2);
    expect(h.opened[1]!.refreshed).toBe('2.3000.NEW');
    h.opened[1]!.listener({ type: 'open', identity: { jid: 'x', e164: null, lid: null, name: null } });
    expect(h.events.map((e) => e.type)).toEqual(['open']);
    // Methods reach the attempt that is current.
    await h.conn.sendText('+1', 'hi');
    expect(h.opened[1]!.sent).toEqual(['hi']);
  });

  it('a second 405 is reported (saying it was retried), with no third attempt and no second refresh', async () => {
    const h = setup();
    h.release();
    h.opened[0]!.listener({ type: 'close', code: 405, reason: 'Connection Failure' });
    await tick();
    h.opened[1]!.listener({ type: 'close', code: 405, reason: 'Connection Failure' });
    await tick();
    expect(h.events).toEqual([{ type: 'close', code: 405, reason: 'Connection Failure; the version was fetched again and the retry was refused too' }]);
    expect(h.opened).toHaveLength(2);
    expect(h.refreshes()).toBe(1);
  });

  it('with web.version pinned, a 405 is reported at once: no refresh, no retry', async () => {
    const h = setup(true);
    h.opened[0]!.listener({ type: 'close', code: 405, reason: 'Connection Failure' });
    expect(h.events).toEqual([{ type: 'close', code: 405, reason: 'Connection Failure; the version is pinned by web.version' }]);
    await tick();
    expect(h.refreshes()).toBe(0);
    expect(h.opened).toHaveLength(1);
  });

  it('other closes pass through untouched', () => {
    const h = setup();
    h.opened[0]!.listener({ type: 'close', code: 428, reason: 'closed' });
    expect(h.events).toEqual([{ type: 'close', code: 428, reason: 'closed' }]);
    expect(h.refreshes()).toBe(0);
  });

  it('closed by us while refreshing: no second attempt, and the close is ours', async () => {
    const h = setup();
    h.opened[0]!.listener({ type: 'close', code: 405, reason: 'Connection Failure' });
    await h.conn.close();
    h.release();
    await tick();
    expect(h.opened).toHaveLength(1);
    expect(h.events).toEqual([{ type: 'close', code: CLOSED_BY_US, reason: 'closed by us' }]);
  });
});
