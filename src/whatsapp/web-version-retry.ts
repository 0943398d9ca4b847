/**
 * A 405 ("client outdated") gets one second chance (SPEC §4): the version is fetched
 * again and the connection retried once with it — never a loop. The caller sees one
 * Connection: events of both attempts go to its listener, except the first 405, and its
 * methods reach whichever attempt is current. A second 405 (or a 405 with a pinned
 * `web.version`, which a fetch must not overrule) is reported as it came.
 */
import { CLOSED_BY_US, type Connection, type ConnectionEvent, type ConnectionListener } from '../ports/transport.js';

export interface OutdatedRetryOptions<V> {
  /** Open one attempt; `refreshed` is what `refresh()` gave, for the retry. */
  open(listener: ConnectionListener, refreshed?: V): Connection;
  /** After the first 405: fetch the version again (never throws). */
  refresh(): Promise<V>;
  /** `web.version` is set: no refresh, no retry. */
  pinned: boolean;
  listener: ConnectionListener;
  /** Told once when the retry starts (for the log). */
  onRetry?(code: number, reason: string): void;
}

const OUTDATED = 405;

export function connectRetryingOutdated<V>(opts: OutdatedRetryOptions<V>): Connection {
  let closedByUs = false;
  let retried = false;
  const relay = (ev: ConnectionEvent): void => {
    if (ev.type === 'close' && ev.code === OUTDATED && !closedByUs) {
      if (!retried && !opts.pinned) {
        retried = true;
        opts.onRetry?.(ev.code, ev.reason);
        void opts.refresh().then(
          (v) => (closedByUs ? opts.listener({ type: 'close', code: CLOSED_BY_US, reason: 'closed by us' }) : (current = opts.open(relay, v))),
          () => (closedByUs ? opts.listener({ type: 'close', code: CLOSED_BY_US, reason: 'closed by us' }) : (current = opts.open(relay))),
        );
        return;
      }
      const what = opts.pinned ? 'the version is pinned by web.version' : 'the version was fetched again and the retry was refused too';
      opts.listener({ ...ev, reason: `${ev.reason}; ${what}` });
      return;
    }
    opts.listener(ev);
  };
  let current = opts.open(relay);
  // Every method reaches the current attempt (whatever methods the Connection grows).
  const forward = {} as Record<string, unknown>;
  for (const key of Object.keys(current)) {
    forward[key] = (...args: unknown[]) => (current as unknown as Record<string, (...a: unknown[]) => unknown>)[key]!(...args);
  }
  const connection = forward as unknown as Connection;
  connection.close = async (reason?: string) => {
    closedByUs = true;
    await current.close(reason);
  };
  return connection;
}
