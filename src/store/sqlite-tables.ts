/**
 * The sub-stores of the SQLite store, one file per concern, written against a
 * `SqlRunner` so the same code serves plain calls (each one its own transaction) and a
 * `transaction(fn)` handle. The SQL is kept plain (see migrations.ts) so the PostgreSQL
 * port is a translation of placeholders, not of ideas.
 */
import type { StoreTables } from './port.js';
import { creds, keys } from './sqlite-auth.js';
import { handled, lids, sent } from './sqlite-ledger.js';
import { activations, connections, pairing } from './sqlite-people.js';
import type { SqlRunner } from './sqlite-runner.js';
import { sessions } from './sqlite-sessions.js';
import { webVersions } from './sqlite-web-versions.js';

export type { SqlRunner } from './sqlite-runner.js';

export function sqliteTables(r: SqlRunner): StoreTables {
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
