import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/index.js';
import { connectControl } from '../../src/gateway/control-client.js';
import { CONTROL_METHODS } from '../../src/gateway/control-methods.js';
import { startGateway, type Gateway } from '../../src/gateway/supervisor.js';
import { readTokenFile } from '../../src/gateway/token.js';
import { WagateError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { FakeTransportFactory } from '../helpers/fake-transport.js';
import { tmpDir } from '../helpers/tmp.js';

const gateways: Gateway[] = [];
afterEach(async () => {
  for (const g of gateways.splice(0)) await g.stop();
});

function setup(raw: unknown = { channels: { whatsapp: { accounts: { work: {}, home: {}, old: { enabled: false } } } } }) {
  const stateDir = tmpDir('gw');
  const config = validateConfig(raw, path.join(stateDir, 'wagate.json'));
  const transport = new FakeTransportFactory({ work: true });
  return { stateDir, config, transport };
}

async function start(s: ReturnType<typeof setup>) {
  const gw = await startGateway({
    config: s.config,
    configPath: path.join(s.stateDir, 'wagate.json'),
    stateDir: s.stateDir,
    env: { WAGATE_HOME: s.stateDir },
    transport: s.transport,
    logger: silentLogger(),
    port: 0,
    tickMs: 0,
  });
  gateways.push(gw);
  return gw;
}

/** Timers, sockets and servers this process holds (Node's own view). */
function resources(): string[] {
  return process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'PipeWrap').sort();
}

/** What `now` holds beyond `base` (multiset difference). */
function extra(now: string[], base: string[]): string[] {
  const left = [...base];
  return now.filter((r) => {
    const i = left.indexOf(r);
    if (i === -1) return true;
    left.splice(i, 1);
    return false;
  });
}

describe('supervisor', () => {
  // First in the file, so the baseline holds no handle of another test.
  it('starts and stops twice in one process and leaves no listener, timer or socket behind', async () => {
    const before = resources();
    const signalListeners = process.listenerCount('SIGINT') + process.listenerCount('SIGTERM');
    for (let round = 0; round < 2; round++) {
      const s = setup();
      const gw = await start(s);
      const client = await connectControl({ url: gw.control.url, token: readTokenFile(s.stateDir) });
      s.transport.get('work').current.open();
      s.transport.get('work').current.emit({ type: 'close', code: 500, reason: 'bad session' }); // arms a retry timer
      expect(gw.accounts.get('work')!.state).toBe('backing-off');
      expect(gw.bus.listenerCount()).toBeGreaterThan(0);
      await gw.stop();
      gateways.splice(gateways.indexOf(gw), 1);
      await client.closed;
      expect(gw.bus.listenerCount()).toBe(0);
      for (const rt of gw.accounts.values()) expect(rt.state).toBe('stopped');
      expect(s.transport.get('work').connections.every((c) => c.closed)).toBe(true);
    }
    // Closed handles leave Node's list on a later turn of the event loop (no timers
    // here: a polling timer would itself show up as a resource).
    for (let i = 0; i < 50 && extra(resources(), before).length > 0; i++) await new Promise((r) => setImmediate(r));
    expect(extra(resources(), before)).toEqual([]);
    expect(process.listenerCount('SIGINT') + process.listenerCount('SIGTERM')).toBe(signalListeners);
  });

  it('starts one account machine per enabled account: linked ones connect, unlinked ones wait', async () => {
    const s = setup();
    const gw = await start(s);
    expect([...gw.accounts.keys()].sort()).toEqual(['home', 'work']);
    expect(gw.accounts.get('work')!.state).toBe('connecting');
    expect(s.transport.get('work').current.mode).toBe('resume');
    expect(gw.accounts.get('home')!.state).toBe('unlinked');
    expect(s.transport.get('home').connections).toHaveLength(0);
    expect(s.transport.accounts.has('old')).toBe(false);
    s.transport.get('work').current.open();
    expect(gw.accounts.get('work')!.state).toBe('connected');
  });

  it('serves status and debug.dump over the control socket, and pushes account events', async () => {
    const s = setup();
    const gw = await start(s);
    const client = await connectControl({ url: gw.control.url, token: readTokenFile(s.stateDir) });
    expect(client.hello.snapshot.presence).toEqual([
      { accountId: 'home', state: 'unlinked' },
      { accountId: 'old', state: 'disabled' },
      { accountId: 'work', state: 'connecting' },
    ]);
    const events: any[] = [];
    client.onEvent((e) => events.push(e));
    s.transport.get('work').current.open();
    s.transport.get('work').current.emit({ type: 'close', code: 428, reason: 'Connection Terminated' });
    const status = await client.request('status', {});
    const work = status.accounts.find((a: any) => a.accountId === 'work');
    expect(work).toMatchObject({ enabled: true, running: true, state: 'backing-off', linked: true, connected: false, lastClose: { code: 428 } });
    expect(status.accounts.find((a: any) => a.accountId === 'old')).toMatchObject({ enabled: false, running: false, state: 'disabled' });
    const dump = await client.request('debug.dump', {});
    expect(dump.accounts.map((a: any) => a.accountId).sort()).toEqual(['home', 'work']);
    const wd = dump.accounts.find((a) => a.accountId === 'work')!;
    expect(wd.context).toMatchObject({ accountId: 'work', attempt: 1, lastClose: { code: 428, reason: 'Connection Terminated' } });
    expect(wd.transitions.map((t) => `${t.event}:${t.to}`)).toEqual(
      expect.arrayContaining(['START:connecting', 'OPEN:connected', 'CLOSE:backing-off']),
    );
    expect(dump.actors['web-heartbeat']).toBeDefined();
    expect(dump.methods).toEqual(Object.keys(CONTROL_METHODS).sort()); // every method of the contract has a handler
    expect(events.filter((e) => e.event === 'account').map((e) => e.payload.to)).toEqual(['connected', 'backing-off']);
    await expect(client.request('debug.dump', { accountId: 'nope' })).rejects.toMatchObject({ code: 'WAGATE_ERR_UNKNOWN_ACCOUNT' });
    client.close();
  });

  it('the control method agent answers accepted at once, streams agent events and ends with the summary', async () => {
    const s = setup();
    const gw = await start(s);
    const client = await connectControl({ url: gw.control.url, token: readTokenFile(s.stateDir) });
    const events: any[] = [];
    const final = new Promise<any>((resolve) =>
      client.onEvent((f) => {
        if (f.event !== 'agent') return;
        events.push(f.payload);
        if ((f.payload as any).status === 'ok' || (f.payload as any).status === 'error') resolve(f.payload);
      }),
    );
    const ack = await client.request('agent', { message: 'hi there', accountId: 'work' });
    expect(ack).toEqual({ runId: expect.any(String), status: 'accepted' });
    expect(await final).toEqual({ runId: ack.runId, status: 'ok', summary: 'echo: hi there' });
    expect(events[0]).toEqual({ runId: ack.runId, status: 'running' });
    await expect(client.request('agent', { message: '' })).rejects.toMatchObject({ code: 'WAGATE_ERR_BAD_REQUEST' });
    client.close();
  });

  it('the control method send delivers through the account, and fails at once when it is not connected', async () => {
    const s = setup();
    const gw = await start(s);
    const client = await connectControl({ url: gw.control.url, token: readTokenFile(s.stateDir) });
    await expect(client.request('send', { to: '+15551234567', text: 'hi', accountId: 'work' })).rejects.toMatchObject({
      code: 'WAGATE_ERR_NO_LISTENER',
      message: expect.stringContaining('No active WhatsApp listener for account work'),
    });
    s.transport.get('work').current.open();
    const res = await client.request('send', { to: '+15551234567', text: 'hi', accountId: 'work' });
    expect(res).toEqual({ accountId: 'work', to: '15551234567@s.whatsapp.net', messageIds: [expect.stringMatching(/^3EB0[0-9A-F]{18}$/)] });
    expect(s.transport.get('work').current.sent).toEqual([{ to: '15551234567@s.whatsapp.net', text: 'hi', id: res.messageIds[0] }]);
    await expect(client.request('send', { to: 'not a number', text: 'hi', accountId: 'work' })).rejects.toMatchObject({ code: 'WAGATE_ERR_BAD_REQUEST' });
    client.close();
  });

  it('web.enabled false starts the gateway with no WhatsApp connection', async () => {
    const s = setup({ web: { enabled: false } });
    const gw = await start(s);
    expect(gw.accounts.size).toBe(0);
    expect(s.transport.accounts.size).toBe(0);
  });

  it('the control port in use fails the start cleanly', async () => {
    const s = setup();
    const gw = await start(s);
    const s2 = setup();
    await expect(
      startGateway({ config: s2.config, configPath: 'x', stateDir: s2.stateDir, env: { WAGATE_HOME: s2.stateDir }, transport: s2.transport, logger: silentLogger(), port: gw.control.port, tickMs: 0 }),
    ).rejects.toThrow(/EADDRINUSE/);
  });

  it("one account's unreadable creds is that account's state (degraded, the real error and fix); the others start", async () => {
    const s = setup();
    const unreadable = new WagateError('WAGATE_ERR_CREDS', 'Cannot read /x/home/creds.json (EISDIR); fix the file.', {
      cause: Object.assign(new Error('EISDIR: illegal operation on a directory, read'), { code: 'EISDIR' }),
    });
    const transport = new FakeTransportFactory({ work: true, home: unreadable });
    const gw = await start({ ...s, transport });
    expect(gw.accounts.get('work')!.state).toBe('connecting');
    transport.get('work').current.open();
    expect(gw.accounts.get('work')!.state).toBe('connected');
    expect(transport.get('home').connections).toHaveLength(0);
    const client = await connectControl({ url: gw.control.url, token: readTokenFile(s.stateDir) });
    try {
      const status = await client.request('status', {});
      expect(status.health.ok).toBe(false);
      expect(status.accounts.find((a) => a.accountId === 'home')).toMatchObject({
        state: 'degraded',
        linked: false,
        error: { code: 'WAGATE_ERR_CREDS', message: unreadable.message, cause: 'EISDIR: illegal operation on a directory, read' },
      });
    } finally {
      client.close();
    }
  });
});
