import { describe, expect, it } from 'vitest';
import { GroupMetadataCache } from '../../src/access/policy/group-metadata.js';
import { GROUP, harness, type Harness } from './harness.js';

const MIN = 60_000;

/** The cache as agent dispatch wires it: over the account's live connection, the harness clock. */
const cacheOver = (h: Harness) =>
  new GroupMetadataCache({ fetch: async (accountId, groupJid) => h.deps.connection(accountId).groupMetadata(groupJid), now: h.deps.now });

describe('group metadata cache', () => {
  it('caches the subject for 5 minutes, then asks again', async () => {
    const h = harness();
    let calls = 0;
    h.conn.groups[GROUP] = { jid: GROUP, subject: 'Family', participants: [] };
    const orig = h.conn.groupMetadata.bind(h.conn);
    h.conn.groupMetadata = (jid) => {
      calls += 1;
      return orig(jid);
    };
    const gmActor = cacheOver(h);
    expect(await gmActor.subject('default', GROUP)).toBe('Family');
    h.conn.groups[GROUP] = { jid: GROUP, subject: 'Renamed', participants: [] };
    h.clock.now += 5 * MIN - 1;
    expect(await gmActor.subject('default', GROUP)).toBe('Family');
    expect(calls).toBe(1);
    h.clock.now += 1;
    expect(await gmActor.subject('default', GROUP)).toBe('Renamed');
    expect(calls).toBe(2);
  });

  it('caches failures too (unknown group, or offline), then retries after the TTL', async () => {
    const h = harness();
    let calls = 0;
    h.conn.groupMetadata = async () => {
      calls += 1;
      throw new Error('item-not-found');
    };
    const a = cacheOver(h);
    expect(await a.get('default', GROUP)).toBeNull();
    expect(await a.subject('default', GROUP)).toBeNull();
    expect(calls).toBe(1);
    h.clock.now += 5 * MIN;
    h.connected = false;
    expect(await a.get('default', GROUP)).toBeNull();
    expect(calls).toBe(1); // the offline failure never reached the connection
    expect(a.summary()).toEqual({ groups: 1, fetches: 2 });
  });

  it('concurrent lookups share one request; entries are per account', async () => {
    const h = harness();
    let calls = 0;
    h.conn.groupMetadata = async (jid) => {
      calls += 1;
      return { jid, subject: 'S', participants: [] };
    };
    const a = cacheOver(h);
    await Promise.all([a.subject('default', GROUP), a.subject('default', GROUP)]);
    expect(calls).toBe(1);
    await a.subject('work', GROUP);
    expect(calls).toBe(2);
  });
});
