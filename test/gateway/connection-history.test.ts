import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBus } from '../../src/bus/bus.js';
import { ConnectionHistory, recordConnectionHistory } from '../../src/gateway/connection-history.js';
import { CONNECTION_HISTORY_FILE } from '../../src/state-layout.js';
import { silentLogger } from '../../src/log.js';
import { tmpDir } from '../helpers/tmp.js';

const identity = { jid: '15550000001:1@s.whatsapp.net', e164: '+15550000001', lid: null, name: null };

describe('ConnectionHistory', () => {
  it('keeps what the earlier run left for this whole run, while recording this run for the next', async () => {
    const dir = tmpDir('access');
    const first = new ConnectionHistory(dir);
    await first.linked('work', 1_000);
    await first.seen('work', 5_000);
    const second = new ConnectionHistory(dir);
    expect(second.linkedAt('work')).toBe(1_000);
    expect(second.previousRunLastConnected('work')).toBe(5_000);
    await second.seen('work', 9_000); // this run connects: the window must not move
    expect(second.previousRunLastConnected('work')).toBe(5_000);
    expect(new ConnectionHistory(dir).previousRunLastConnected('work')).toBe(9_000);
    expect(fs.statSync(path.join(dir, CONNECTION_HISTORY_FILE)).mode & 0o777).toBe(0o600);
  });

  it('a re-link forgets the earlier run and starts at the link', async () => {
    const dir = tmpDir('access');
    await new ConnectionHistory(dir).seen('work', 5_000);
    const h = new ConnectionHistory(dir);
    await h.linked('work', 7_000);
    expect(h.previousRunLastConnected('work')).toBeNull();
    expect(h.linkedAt('work')).toBe(7_000);
  });

  it('reads the file of earlier versions (lastDisconnectedAt) and survives a damaged one', () => {
    const dir = tmpDir('access');
    const file = path.join(dir, CONNECTION_HISTORY_FILE);
    fs.writeFileSync(file, JSON.stringify({ work: { lastConnectedAt: 3_000, lastDisconnectedAt: 4_000 } }));
    expect(new ConnectionHistory(dir).previousRunLastConnected('work')).toBe(4_000);
    fs.writeFileSync(file, '{torn');
    expect(new ConnectionHistory(dir).previousRunLastConnected('work')).toBeNull();
  });

  it('is kept from the bus: the link (linking → connecting), every connect, heartbeat and disconnect', async () => {
    const dir = tmpDir('access');
    const bus = createBus(silentLogger());
    const h = new ConnectionHistory(dir);
    recordConnectionHistory(bus, h);
    const change = (from: 'linking' | 'connecting', to: 'connecting' | 'connected', at: number) =>
      bus.emit('account.state.changed', { accountId: 'work', from, to, attempt: 0, nextRetryAt: null, lastClose: null, error: null, at });
    change('linking', 'connecting', 100);
    bus.emit('account.connected', { accountId: 'work', identity, at: 200 });
    bus.emit('account.heartbeat', { accountId: 'work', uptimeMs: 1, attempt: 0, messagesHandled: 0, lastMessageAt: null, at: 300 });
    bus.emit('account.disconnected', { accountId: 'work', kind: 'retry', code: 428, reason: 'drop', error: null, at: 400 });
    await bus.idle();
    await h.flush();
    const next = new ConnectionHistory(dir);
    expect(next.linkedAt('work')).toBe(100);
    expect(next.previousRunLastConnected('work')).toBe(400);
  });
});
