/**
 * Migrating a PostgreSQL store: the steps of migrations.ts (their `postgres` text) and
 * the `wagate_schema` version table, under a session-level advisory lock so that
 * several nodes starting together on one database apply each step once: the first
 * migrates, the others wait on the lock and then find nothing left to do.
 */
import type pg from 'pg';
import { WagateError } from '../errors.js';
import { migrate, VERSION_TABLE_SQL, type Migration, type MigrationTarget } from './migrations.js';

/** The advisory lock key pair held while migrating ("waga", "sche" as two int4). */
export const MIGRATION_LOCK = [0x77616761, 0x73636865] as const;

/**
 * Bring the database on `client` up to date under the lock. Resolves with an error
 * when the lock could not be released (the caller then closes the connection, which
 * releases it), else undefined.
 */
export async function migrateUnderLock(
  client: pg.PoolClient,
  location: string,
  migrations: readonly Migration[],
  now: () => number,
): Promise<Error | undefined> {
  let broken: Error | undefined;
  await client.query('SELECT pg_advisory_lock($1, $2)', [...MIGRATION_LOCK]);
  try {
    await migrate(target(client, location), migrations, now);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1, $2)', [...MIGRATION_LOCK]).catch((e: unknown) => {
      broken = e instanceof Error ? e : new Error(String(e));
    });
  }
  return broken;
}

function target(client: pg.PoolClient, location: string): MigrationTarget {
  return {
    dialect: 'postgres',
    location,
    currentVersion: async () => {
      await client.query(VERSION_TABLE_SQL);
      return Number((await client.query('SELECT COALESCE(MAX(version), 0) AS v FROM wagate_schema')).rows[0].v);
    },
    apply: async (version, name, sql, appliedAt) => {
      await client.query('BEGIN');
      try {
        await client.query(sql); // several statements, no parameters: the simple query protocol
        await client.query('INSERT INTO wagate_schema (version, name, applied_at) VALUES ($1, $2, $3)', [version, name, appliedAt]);
        const res = await client.query('COMMIT');
        if (res.command !== 'COMMIT') throw new WagateError('WAGATE_ERR_STORE', `The store ${location} rolled migration ${version} back.`);
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    },
  };
}
