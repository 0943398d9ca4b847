import type { BinaryNode } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { startSimServer } from '../../../src/sim/server/server.js';
import { TestClient } from '../helpers/client.js';
import { useSim } from './fixture.js';

const PHONE = '+15550000001';
const USER = '15550000001';

describe('login with saved creds', () => {
  const f = useSim();

  it('restarts with saved creds and opens without a QR', async () => {
    const c = await f.linked(PHONE);
    const keysBefore = f.sim.hub.companions.get(USER)!.keys!.preKeys.size;
    await c.end();
    expect(f.sim.hub.companions.get(USER)!.online).toBe(false);
    const updatesBefore = c.updates.items.length;
    c.reopen();
    await c.waitOpen();
    expect(c.updates.items.slice(updatesBefore).some((u) => u.qr)).toBe(false);
    expect(f.sim.hub.companions.get(USER)!.online).toBe(true);
    // Enough prekeys are on the server already: no second upload of the initial batch.
    expect(f.sim.hub.companions.get(USER)!.keys!.preKeys.size).toBe(keysBefore);
  });

  it('refuses a device the simulator does not know with 401', async () => {
    const c = await f.linked(PHONE);
    await c.end();
    const other = await startSimServer({ port: 0, host: '127.0.0.1' });
    const stranger = new TestClient(other.url, { auth: c.auth });
    try {
      stranger.connect();
      expect(await stranger.waitClose()).toBe(401);
    } finally {
      await stranger.end();
      await other.close();
    }
  });

  it('a logout removes the device: the client closes with 401 and cannot log in again', async () => {
    const c = await f.linked(PHONE);
    await c.sock!.logout();
    expect(await c.waitClose()).toBe(401);
    expect(f.sim.hub.companions.has(USER)).toBe(false);
    c.connect();
    expect(await c.waitClose()).toBe(401);
  });

  it('queues stanzas for an offline account and delivers them at login with offline="1", then the marker', async () => {
    const acks: BinaryNode[] = [];
    f.sim.hub.onStanza('ack', (node) => {
      acks.push(node);
      return true;
    });
    const c = await f.linked(PHONE);
    await c.end();
    const t = String(Math.floor(Date.now() / 1000));
    const ids = [f.sim.hub.nextId(), f.sim.hub.nextId()];
    for (const id of ids) {
      expect(f.sim.hub.deliver(USER, { tag: 'notification', attrs: { id, type: 'sim-test', from: 's.whatsapp.net', t } })).toBe(false);
    }
    c.reopen();
    const first = await c.frames.next((n) => n.attrs.id === ids[0], 5000, 'the first queued notification');
    const second = await c.frames.next((n) => n.attrs.id === ids[1], 5000, 'the second queued notification');
    expect([first.attrs.offline, second.attrs.offline]).toEqual(['1', '1']);
    const marker = await c.frames.next((n) => n.tag === 'ib', 5000, 'the offline marker');
    expect(marker.content).toEqual([{ tag: 'offline', attrs: { count: '2' } }]);
    expect(c.frames.items.indexOf(second)).toBeLessThan(c.frames.items.indexOf(marker));
    await c.waitOpen();
    await expect
      .poll(() => ids.every((id) => acks.some((a) => a.attrs.id === id && a.attrs.class === 'notification')))
      .toBe(true);
  });

  it('delivers live while the account is online, without the offline flag', async () => {
    const c = await f.linked(PHONE);
    const id = f.sim.hub.nextId();
    expect(f.sim.hub.deliver(USER, { tag: 'notification', attrs: { id, type: 'sim-test', from: 's.whatsapp.net' } })).toBe(true);
    const got = await c.frames.next((n) => n.attrs.id === id, 5000, 'the live notification');
    expect(got.attrs.offline).toBeUndefined();
  });
});

describe('server lifecycle', () => {
  it('close() ends live sessions and frees the port', async () => {
    const sim = await startSimServer({ port: 0, host: '127.0.0.1' });
    const c = new TestClient(sim.url);
    try {
      await c.link((qr) => sim.phone(PHONE).scanQr(qr));
      await sim.close();
      expect(await c.waitClose()).toBe(428);
      const { WebSocket } = await import('ws');
      const probe = new WebSocket(sim.url);
      const outcome = await new Promise<string>((resolve) => {
        probe.on('open', () => resolve('open'));
        probe.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      });
      probe.terminate();
      expect(outcome).toBe('ECONNREFUSED');
    } finally {
      await c.end();
    }
  });
});
