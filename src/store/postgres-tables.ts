/**
 * The sub-stores of the PostgreSQL store, one file per concern mirroring the SQLite
 * ones (`postgres-auth.ts` ↔ `sqlite-auth.ts`, …), written against a `PgRunner` so the
 * same code serves plain calls and a `transaction(fn)` handle. A new sub-store is a
 * `postgres-<concern>.ts` beside its `sqlite-<concern>.ts`, added here and in
 * `sqlite-tables.ts`.
 */
import type { StoreTables } from './port.js';
import { creds, keys } from './postgres-auth.js';
import { handled, lids, sent } from './postgres-ledger.js';
import { activations, connections, pairing } from './postgres-people.js';
import type { PgRunner } from './postgres-runner.js';
import { sessions } from './postgres-sessions.js';
import { webVersions } from './postgres-web-versions.js';

export type { PgRunner } from './postgres-runner.js';

export function postgresTables(r: PgRunner): StoreTables {
  return {
    creds: creds(r),
    keys: keys(r),
    handled: handled(r),
    sent: sent(r),
    lids: lids(r),
    pairing: pairing(r),
    activations: activations(r),
    connections: connections(r),
    sessions: sessions(r),
    webVersions: webVersions(r),
  };
}
