/**
 * gateway-accounts' WAGATE_BENCH_KEEP_HOME: the simulator's companion records saved
 * after linking let a fresh simulator take the saved creds' login, as if it had linked
 * them itself; without them it refuses the login (401).
 */
import path from 'node:path';
import { useMultiFileAuthState } from '@whiskeysockets/baileys';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { authDirOf, linkAccounts, loadSimCompanions, saveSimCompanions } from '../../bench/link-accounts.js';
import { TestClient } from '../sim/helpers/client.js';
import { tmpDir } from '../helpers/tmp.js';

const sims: Simulator[] = [];
const clients: TestClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.end()));
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

async function sim(): Promise<Simulator> {
  const s = await startSimulator({ port: 0, host: '127.0.0.1' });
  sims.push(s);
  return s;
}

async function loginWithSaved(url: string, home: string, id: string): Promise<TestClient> {
  const { state } = await useMultiFileAuthState(authDirOf(home, id));
  const client = new TestClient(url, { auth: { state } });
  clients.push(client);
  client.connect();
  return client;
}

describe('bench keep-home: saved simulator companions', () => {
  it('a fresh simulator given the saved records accepts the saved creds; without them it refuses', async () => {
    const home = tmpDir('keep-home');
    const first = await sim();
    const [acc] = await linkAccounts(first, path.join(home, 'bare'), 1);
    const file = path.join(home, 'sim-companions.json');
    await saveSimCompanions(first, file);
    const saved = first.hub.companions.get(acc!.e164.slice(1))!;
    await first.close();
    sims.splice(sims.indexOf(first), 1);

    const without = await sim();
    const refused = await loginWithSaved(without.url, path.join(home, 'bare'), acc!.id);
    expect(await refused.waitClose(10_000)).toBe(401);
    await refused.end();

    const fresh = await sim();
    expect(await loadSimCompanions(fresh, file)).toBe(1);
    const restored = fresh.hub.companions.get(saved.user)!;
    expect({ jid: restored.jid, lid: restored.lid, online: restored.online }).toEqual({ jid: saved.jid, lid: saved.lid, online: false });
    expect(restored.keys?.preKeys.size).toBe(saved.keys?.preKeys.size);
    const client = await loginWithSaved(fresh.url, path.join(home, 'bare'), acc!.id);
    await client.waitOpen(10_000);
    expect(fresh.hub.companions.get(saved.user)?.online).toBe(true);
  }, 60_000);
});
