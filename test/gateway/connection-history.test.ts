import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBus } from '../../src/bus/bus.js';
import { ConnectionHistory, importConnectionsFile, recordConnectionHistory } from '../../src/gateway/connection-history.js';
import { connectionHistoryFile } from '../../src/state-layout.js';
import { silentLogger } from '../../src/log.js';
import { IMPORTED_SUFFIX } from '../../src/store/moved-aside.js';
import { tempSqliteStore } from '../store/helpers/temp.js';

const identity = { jid: '15550000001:1@s.whatsapp.net', e164: '+15550000001', lid: null, name: null };
const T = Date.UTC(2025, 2, 4, 12);

let h: Awaited<ReturnType<typeof tempSqliteStore>>;
beforeEach(async () => {
  h = await tempSqliteStore();
});
afterEach(() => h.cleanup());

const load = (ids = ['work']) => ConnectionHistory.load(h.store, ids);

describe('ConnectionHistory (on the store)', () => {
  it('keeps what the earlier run left for this whole run, while recording this run for the next', async () => {
    const first = await load();
    await first.linked('work', 1_000);
    await first.seen('work', 5_000);
    await h.reopen(); // a restart
    const second = await load();
    expect(second.linkedAt('work')).toBe(1_000);
    expect(second.previousRunLastConnected('work')).toBe(5_000);
    await second.seen('work', 9_000); // this run connects: the window must not move
    expect(second.previousRunLastConnected('work')).toBe(5_000);
    expect(second.linkedAt('work')).toBe(1_000);
    expect((await load()).previousRunLastConnected('work')).toBe(9_000);
    expect(await h.store.connections.get('work')).toEqual({ linkedAt: 1_000, lastConnectedAt: 9_000 });
  });

  it('reload takes what another node left since this one started (a cluster node taking an account over)', async () => {
    const here = await load(); // this node starts: nothing known yet
    expect(here.previousRunLastConnected('work')).toBeNull();
    const other = await load(); // the owner until now, writing to the same store
    await other.seen('work', 5_000);
    expect(here.previousRunLastConnected('work')).toBeNull(); // the snapshot of this node's start
    await here.reload('work');
    expect(here.previousRunLastConnected('work')).toBe(5_000);
    await here.reload('nobody'); // no record: nothing changes
    expect(here.previousRunLastConnected('nobody')).toBeNull();
  });

  it('a re-link forgets the earlier run and starts at the link; accounts are apart', async () => {
    await (await load()).seen('work', 5_000);
    const c = await load(['work', 'home']);
    await c.linked('work', 7_000);
    expect(c.previousRunLastConnected('work')).toBeNull();
    expect(c.linkedAt('work')).toBe(7_000);
    expect(c.linkedAt('home')).toBeNull();
    expect(c.previousRunLastConnected('home')).toBeNull();
  });

  it('an unreadable store is reported and taken as nothing known; write errors are reported, flush still resolves', async () => {
    await (await load()).seen('work', 5_000);
    await h.store.close();
    const errors: unknown[] = [];
    const c = await ConnectionHistory.load(h.store, ['work'], (e) => errors.push(e));
    expect(c.previousRunLastConnected('work')).toBeNull();
    await c.seen('work', 6_000);
    await c.flush();
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ code: 'WAGATE_ERR_STORE' });
    await h.reopen();
  });

  it('is kept from the bus: the link (linking → connecting), every connect, heartbeat and disconnect', async () => {
    const bus = createBus(silentLogger());
    const c = await load();
    recordConnectionHistory(bus, c);
    const change = (from: 'linking' | 'connecting', to: 'connecting' | 'connected', at: number) =>
      bus.emit('account.state.changed', { accountId: 'work', from, to, attempt: 0, nextRetryAt: null, lastClose: null, error: null, at });
    change('linking', 'connecting', 100);
    bus.emit('account.connected', { accountId: 'work', identity, at: 200 });
    bus.emit('account.heartbeat', { accountId: 'work', uptimeMs: 1, attempt: 0, messagesHandled: 0, lastMessageAt: null, at: 300 });
    bus.emit('account.disconnected', { accountId: 'work', kind: 'retry', code: 428, reason: 'drop', error: null, at: 400 });
    await bus.idle();
    await c.flush();
    const next = await load();
    expect(next.linkedAt('work')).toBe(100);
    expect(next.previousRunLastConnected('work')).toBe(400);
  });
});

describe('importConnectionsFile', () => {
  it('imports the file of earlier versions (lastDisconnectedAt wins when later), keeps what the store has, moves it aside', async () => {
    const stateDir = path.dirname(h.file);
    const file = connectionHistoryFile(stateDir);
    fs.writeFileSync(
      file,
      JSON.stringify({ work: { linkedAt: 1_000, lastConnectedAt: 3_000, lastDisconnectedAt: 4_000 }, home: { linkedAt: 10 }, kept: { lastConnectedAt: 5 }, junk: 7 }),
    );
    await h.store.connections.update('kept', { linkedAt: 1, lastConnectedAt: 99 });
    const r = await importConnectionsFile(h.store, stateDir, () => T);
    expect(r).toEqual({ file, accounts: 2, movedTo: `${file}${IMPORTED_SUFFIX}20250304` });
    const c = await load(['work', 'home', 'kept']);
    expect(c.previousRunLastConnected('work')).toBe(4_000);
    expect(c.linkedAt('work')).toBe(1_000);
    expect(c.linkedAt('home')).toBe(10);
    expect(c.previousRunLastConnected('home')).toBeNull();
    expect(c.previousRunLastConnected('kept')).toBe(99);
    expect(await importConnectionsFile(h.store, stateDir, () => T)).toBeUndefined();
  });

  it('a damaged file is moved aside with nothing imported', async () => {
    const stateDir = path.dirname(h.file);
    const file = connectionHistoryFile(stateDir);
    fs.writeFileSync(file, '{torn');
    expect(await importConnectionsFile(h.store, stateDir, () => T)).toMatchObject({ accounts: 0, corrupt: true });
    expect(fs.readFileSync(`${file}${IMPORTED_SUFFIX}20250304`, 'utf8')).toBe('{torn');
    expect((await load()).previousRunLastConnected('work')).toBeNull();
  });
});
