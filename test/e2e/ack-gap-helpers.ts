/**
 * Shared by the end-to-end tests that wrap the gateway's transport (ack-gap,
 * ack-gap-group, fenced-writes) and read its store file while it runs.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import type { AccountTransport, ConnectOptions, Connection, ConnectionListener, ConnectionMode, TransportFactory } from '../../src/ports/transport.js';
import { DECRYPTED_CATEGORY } from '../../src/whatsapp/decrypt-replay.js';
import { until, type E2E } from './harness.js';

/** A transport factory whose accounts' `connect` goes through `wrap` (given the real one). */
export function wrapConnect(
  wrap: (connect: AccountTransport['connect'], mode: ConnectionMode, listener: ConnectionListener, opts?: ConnectOptions) => Connection,
): (f: TransportFactory) => TransportFactory {
  return (f) => ({
    create: (accountId, deps) => {
      const t = f.create(accountId, deps);
      return Object.assign(Object.create(t) as typeof t, {
        connect: (mode: ConnectionMode, listener: ConnectionListener, opts?: ConnectOptions) => wrap(t.connect.bind(t), mode, listener, opts),
      });
    },
  });
}

/** A transport whose chat messages never reach the gateway (their ids go to `lost`): the process "died" after Baileys acknowledged them. */
export function losingMessages(lost: string[]): (f: TransportFactory) => TransportFactory {
  return wrapConnect((connect, mode, listener, opts) =>
    connect(
      mode,
      (ev) => {
        if (ev.type === 'messages' || ev.type === 'held') {
          lost.push(...ev.messages.map((m) => m.id));
          return;
        }
        listener(ev);
      },
      opts,
    ),
  );
}

export async function connected(e: E2E): Promise<void> {
  const gw = e.gateway!;
  await until(() => gw.accounts.get('default')!.state === 'connected', 'gateway connected');
}

/** Rows of the store file (the gateway may be running: WAL readers are fine). */
export function query<T>(e: E2E, sql: string, ...args: unknown[]): T[] {
  const db = new Database(path.join(e.home, 'wagate.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...args) as T[];
  } finally {
    db.close();
  }
}

/** Plaintexts kept in the ack-before-record gap (decrypt-replay.ts). */
export const kept = (e: E2E): number => query<{ n: number }>(e, 'SELECT COUNT(*) AS n FROM wa_keys WHERE type = ?', DECRYPTED_CATEGORY)[0]!.n;
