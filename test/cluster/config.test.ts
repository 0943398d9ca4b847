/**
 * The `cluster` section: validated, defaulted, and refused without PostgreSQL (in the
 * config itself with store.kind "sqlite", and at start when no PostgreSQL URL is given).
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/index.js';
import { isWagateError } from '../../src/errors.js';
import { startGateway } from '../../src/gateway/supervisor.js';
import { silentLogger } from '../../src/log.js';
import { FakeTransportFactory } from '../helpers/fake-transport.js';
import { tmpDir } from '../helpers/tmp.js';

const URL = 'postgres://wagate@db.example:5432/wagate';

describe('cluster config', () => {
  it('is absent by default and defaults capacity and leaseSeconds when set', () => {
    expect(validateConfig({}, 'wagate.json').cluster).toBeUndefined();
    expect(validateConfig({ cluster: { nodeId: 'node-a' }, store: { url: URL } }, 'wagate.json').cluster).toEqual({ nodeId: 'node-a', capacity: 1000, leaseSeconds: 30 });
  });

  it('refuses a missing or malformed nodeId, a capacity below 1 and a lease shorter than 3 s', () => {
    for (const cluster of [{}, { nodeId: 'a b' }, { nodeId: 'a', capacity: 0 }, { nodeId: 'a', leaseSeconds: 2 }, { nodeId: 'a', extra: 1 }]) {
      expect(() => validateConfig({ cluster, store: { url: URL } }, 'wagate.json'), JSON.stringify(cluster)).toThrow(/cluster/);
    }
  });

  it('refuses cluster with store.kind "sqlite"', () => {
    expect(() => validateConfig({ cluster: { nodeId: 'a' }, store: { kind: 'sqlite' } }, 'wagate.json')).toThrow(/cluster.*PostgreSQL|no cluster with store.kind "sqlite"/s);
  });

  it('refuses to start a cluster node on SQLite (no PostgreSQL URL anywhere) before opening anything', async () => {
    const home = tmpDir('cluster-sqlite');
    const config = validateConfig({ cluster: { nodeId: 'a' } }, 'wagate.json');
    const err = await startGateway({
      config,
      configPath: `${home}/wagate.json`,
      stateDir: home,
      env: { WAGATE_HOME: home },
      transport: new FakeTransportFactory(),
      logger: silentLogger(),
      port: 0,
    }).catch((e: unknown) => e);
    expect(isWagateError(err) && err.code).toBe('WAGATE_ERR_CONFIG');
    expect((err as Error).message).toMatch(/cluster is set but the store is SQLite/);
  });
});
