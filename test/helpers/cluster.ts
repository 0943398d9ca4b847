/**
 * Several `wagate gateway` nodes on one PostgreSQL against one simulator (issue 16),
 * for the failover test (test/e2e/failover.test.ts) and the `failover` benchmark:
 *
 * - `linkIntoStore`: links accounts cheaply — a bare Baileys client per account scans
 *   its QR against the simulator (10 at a time), and the creds and keys it saved are
 *   imported into the store by the gateway's own importer — instead of one
 *   `wagate channels login` process per account;
 * - `startNode`: one gateway child process with its own home, port and log file,
 *   `cluster: { nodeId, leaseSeconds }`, the shared store URL with
 *   `application_name=wagate-<nodeId>` (so PostgreSQL knows which node wrote what);
 * - `auditWrites`: a trigger on every table holding an account's state that records,
 *   for each row written, the writing node (its `application_name`) and the account's
 *   lease row (owner, token) as the write's transaction saw it. A committed write by a
 *   node that was not the owner is a write the fence should have refused.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { useMultiFileAuthState } from '@whiskeysockets/baileys';
import pg from 'pg';
import type { Store } from '../../src/store/port.js';
import type { LeaseRow } from '../../src/store/postgres-leases.js';
import { TABLES } from '../../src/store/sqlite.js';
import { importAuthDir } from '../../src/whatsapp/auth-import.js';
import { spawnCli, type SpawnedCli } from './cli.js';
import { freePort } from './net.js';
import { TestClient } from '../sim/helpers/client.js';

export interface ClusterAccount {
  id: string;
  e164: string;
  /** The simulator's user part (digits). */
  user: string;
}

export function clusterAccounts(n: number): ClusterAccount[] {
  return Array.from({ length: n }, (_, i) => {
    const e164 = `+1555400${String(i).padStart(4, '0')}`;
    return { id: `c${String(i).padStart(2, '0')}`, e164, user: e164.slice(1) };
  });
}

const LINK_AT_ONCE = 10;
const quiet = { info: () => undefined, warn: () => undefined };

/** Links every account (QR scanned by the simulated phone) and imports its creds and keys into `store`. */
export async function linkIntoStore(sim: { url: string; phone(e164: string): { scanQr(qr: string): Promise<unknown> } }, store: Store, accounts: ClusterAccount[], dir: string): Promise<void> {
  for (let from = 0; from < accounts.length; from += LINK_AT_ONCE) {
    await Promise.all(
      accounts.slice(from, from + LINK_AT_ONCE).map(async (acc) => {
        const authDir = path.join(dir, acc.id);
        const auth = await useMultiFileAuthState(authDir);
        const client = new TestClient(sim.url, { auth: { state: auth.state } });
        try {
          await client.link((qr) => sim.phone(acc.e164).scanQr(qr), 60_000);
        } finally {
          await client.end();
        }
        await auth.saveCreds();
        const r = await importAuthDir({ store, accountId: acc.id, dir: authDir, log: quiet });
        if (!r.imported) throw new Error(`linkIntoStore: nothing imported for ${acc.id}`);
      }),
    );
  }
}

export interface ClusterNode {
  id: string;
  home: string;
  env: Record<string, string>;
  logFile: string;
  proc: SpawnedCli;
  log(): Promise<string>;
}

export interface NodeOptions {
  nodeId: string;
  home: string;
  url: string;
  simUrl: string;
  versionUrl: string;
  accounts: ClusterAccount[];
  leaseSeconds: number;
  /** More config (merged at the top level). */
  extra?: Record<string, unknown>;
}

/** `url` with `application_name=wagate-<nodeId>` added. */
export function nodeUrl(url: string, nodeId: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}application_name=wagate-${nodeId}`;
}

export async function startNode(o: NodeOptions): Promise<ClusterNode> {
  await fs.mkdir(o.home, { recursive: true });
  const logFile = path.join(o.home, 'wagate.log');
  const config = {
    channels: { whatsapp: { dmPolicy: 'open', allowFrom: ['*'], accounts: Object.fromEntries(o.accounts.map((a) => [a.id, {}])) } },
    web: { url: o.simUrl, versionUrl: o.versionUrl },
    gateway: { port: await freePort() },
    cluster: { nodeId: o.nodeId, leaseSeconds: o.leaseSeconds },
    logging: { file: logFile },
    ...o.extra,
  };
  await fs.writeFile(path.join(o.home, 'wagate.json'), JSON.stringify(config));
  const env = { WAGATE_HOME: o.home, HOME: o.home, WAGATE_STORE_URL: nodeUrl(o.url, o.nodeId) };
  const proc = spawnCli(['gateway'], env);
  return {
    id: o.nodeId,
    home: o.home,
    env,
    logFile,
    proc,
    log: () => fs.readFile(logFile, 'utf8').catch(() => ''),
  };
}

/** Accounts by owner node. */
export function owners(leases: LeaseRow[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const l of leases) if (l.owner) (out[l.owner] ??= []).push(l.accountId);
  return out;
}

/** The tables holding an account's state (every one with an `account_id` but the lease table). */
const NOT_PER_ACCOUNT = new Set<string>(['session_turns', 'web_versions', 'leases', 'cluster_nodes']);
export const ACCOUNT_TABLES = TABLES.filter((t) => !NOT_PER_ACCOUNT.has(t));

export interface AuditedWrite {
  seq: number;
  at: number;
  tbl: string;
  accountId: string;
  op: string;
  /** The writer's application_name (`wagate-<nodeId>` for a node). */
  app: string;
  /** The account's lease as the writing transaction saw it. */
  owner: string | null;
  token: number | null;
}

export interface WriteAudit {
  writes(): Promise<AuditedWrite[]>;
  /** Committed writes by a node that did not own the account's lease at that moment. */
  violations(): Promise<AuditedWrite[]>;
  close(): Promise<void>;
}

/** Installs the write audit (the schema must exist: open the store once first). */
export async function auditWrites(url: string): Promise<WriteAudit> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`
    CREATE TABLE IF NOT EXISTS test_audit_writes (
      seq BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, tbl TEXT NOT NULL, account_id TEXT, op TEXT NOT NULL,
      app TEXT NOT NULL, owner TEXT, token BIGINT
    );
    CREATE OR REPLACE FUNCTION test_audit_write() RETURNS trigger AS $$
    DECLARE acc TEXT; o TEXT; t BIGINT;
    BEGIN
      IF TG_OP = 'DELETE' THEN acc := OLD.account_id; ELSE acc := NEW.account_id; END IF;
      SELECT owner, token INTO o, t FROM leases WHERE account_id = acc;
      INSERT INTO test_audit_writes (at, tbl, account_id, op, app, owner, token)
        VALUES ((extract(epoch FROM clock_timestamp()) * 1000)::BIGINT, TG_TABLE_NAME, acc, TG_OP, current_setting('application_name'), o, t);
      RETURN NULL;
    END $$ LANGUAGE plpgsql;
  `);
  for (const t of ACCOUNT_TABLES) {
    await client.query(`CREATE TRIGGER test_audit AFTER INSERT OR UPDATE OR DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION test_audit_write()`);
  }
  const writes = async (where = 'TRUE'): Promise<AuditedWrite[]> => {
    const res = await client.query(`SELECT seq, at, tbl, account_id, op, app, owner, token FROM test_audit_writes WHERE ${where} ORDER BY seq`);
    return res.rows.map((r: Record<string, string | null>) => ({
      seq: Number(r.seq),
      at: Number(r.at),
      tbl: r.tbl!,
      accountId: r.account_id!,
      op: r.op!,
      app: r.app!,
      owner: r.owner ?? null,
      token: r.token === null ? null : Number(r.token),
    }));
  };
  return {
    writes: () => writes(),
    violations: () => writes(`app LIKE 'wagate-%' AND owner IS DISTINCT FROM substr(app, 8)`),
    close: () => client.end(),
  };
}
