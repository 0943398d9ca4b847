/**
 * An account's transport on a cluster node: whatever would reach WhatsApp on the
 * account's behalf (a message, media, a reaction, read receipts, typing, unlinking)
 * first asks whether this node still holds the account's lease, valid by its own clock
 * (`holds`). A node that was paused and woke up refuses to send (WAGATE_ERR_LEASE_LOST)
 * even before its lease round has stopped the account. Opening a connection asks too:
 * a woken node whose socket WhatsApp closed must not log in again on a lease it lost
 * (that would replace the new owner's connection: a 440 there); the attempt fails at
 * once, locally, with WAGATE_ERR_LEASE_LOST, and the lease round stops the account.
 * Reads (group metadata, probe) and `close` pass through, but below every call the
 * connection itself asks before each frame it writes (`ConnectOptions.mayWrite`): a
 * woken node's timers (a keep-alive ping) run before it reads its socket's close, and
 * their frames are dropped there, the socket closed.
 */
import type { AccountTransport, ConnectOptions, Connection, ConnectionListener } from '../ports/transport.js';
import { leaseLostError } from '../store/postgres-leases.js';

const SENDS = new Set<PropertyKey>(['sendText', 'sendMedia', 'react', 'markRead', 'sendPresence', 'unlink', 'requestPairingCode']);

function gate(conn: Connection, accountId: string, holds: () => boolean): Connection {
  return new Proxy(conn, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (!SENDS.has(prop)) return (value as (...a: unknown[]) => unknown).bind(target);
      return (...args: unknown[]) => {
        if (!holds()) return Promise.reject(leaseLostError(accountId, 'its lease is not valid on this node; nothing was sent'));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** A connection that was never opened: it reports the lost lease as its close, and sends nothing. */
function refused(accountId: string, listener: ConnectionListener): Connection {
  const err = leaseLostError(accountId, 'its lease is not valid on this node; no connection was opened');
  queueMicrotask(() => listener({ type: 'close', code: null, reason: err.message, error: { code: err.code, message: err.message } }));
  return new Proxy({} as Connection, {
    get(_, prop) {
      if (prop === 'then') return undefined;
      if (prop === 'close') return () => Promise.resolve();
      return () => Promise.reject(err);
    },
  });
}

export function fencedTransport(transport: AccountTransport, holds: () => boolean): AccountTransport {
  return new Proxy(transport, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (prop === 'connect') {
        return (mode: Parameters<AccountTransport['connect']>[0], listener: ConnectionListener, opts?: ConnectOptions) =>
          holds() ? gate(target.connect(mode, listener, { ...opts, mayWrite: holds }), target.accountId, holds) : refused(target.accountId, listener);
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}
