import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startPairing } from '../../src/actors/pairing.js';
import type { ActorDeps, RunningActor } from '../../src/actors/actor.js';
import { createBus } from '../../src/bus/bus.js';
import type { BusEvents } from '../../src/bus/events.js';
import { validateConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log.js';
import { withStore } from '../../src/cli/context.js';
import { createPairingStore, type PairingStore } from '../../src/pairing/store.js';
import { storeFile } from '../../src/state-layout.js';
import { lazyStore } from '../helpers/test-store.js';
import type { InboundMessage } from '../../src/ports/inbound.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const actors: RunningActor[] = [];
afterEach(async () => {
  for (const a of actors.splice(0)) await a.stop();
});

const tempHome = () => tmpDir('cli-pairing');

const env = (dir: string) => ({ WAGATE_HOME: dir, HOME: dir });

/** Run `fn` on the pairing store of `<dir>/wagate.db` (its own connection, closed after). */
function pairingAt<T>(dir: string, fn: (p: PairingStore) => Promise<T>, now?: () => number): Promise<T> {
  return withStore({ kind: 'sqlite', file: storeFile(dir) }, (store) => fn(createPairingStore({ store, ...(now ? { now } : {}) })));
}

async function seed(dir: string, senders: string[]): Promise<string[]> {
  return pairingAt(dir, async (store) => {
    const codes: string[] = [];
    for (const s of senders) {
      const res = await store.requestCode(s, 'default', { name: 'Ann' });
      if (res.status !== 'created') throw new Error(`seed: ${res.status}`);
      codes.push(res.code);
    }
    return codes;
  });
}

describe('wagate pairing (no gateway running)', () => {
  it('list: says so when nothing is pending', async () => {
    const dir = tempHome();
    expect(await runCli(['pairing', 'list', 'whatsapp'], env(dir))).toEqual({ code: 0, stdout: 'No pending pairing requests.\n', stderr: '' });
    const json = await runCli(['pairing', 'list', 'whatsapp', '--json'], env(dir));
    expect(JSON.parse(json.stdout)).toEqual({ channel: 'whatsapp', requests: [] });
  });

  it('list: one line per request with code, number, name, account and time left; --json gives the records', async () => {
    const dir = tempHome();
    const [code] = await seed(dir, ['+15551234567']);
    const res = await runCli(['pairing', 'list', 'whatsapp'], env(dir));
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^${code}  \\+15551234567 \\(Ann\\)  account default  expires in (1h00m|59m)\\n`));
    expect(res.stdout).toContain('wagate pairing approve whatsapp <code>');
    const json = JSON.parse((await runCli(['pairing', 'list', 'whatsapp', '--json'], env(dir))).stdout);
    expect(json.requests).toEqual([expect.objectContaining({ code, sender: '+15551234567', accountId: 'default', name: 'Ann' })]);
  });

  it('approve: lower-case code works; the sender is approved and no longer pending', async () => {
    const dir = tempHome();
    const [code] = await seed(dir, ['+15551234567', '+15557654321']);
    const res = await runCli(['pairing', 'approve', 'whatsapp', code!.toLowerCase()], env(dir));
    expect(res).toEqual({
      code: 0,
      stdout: `Approved +15551234567 (code ${code}, account default); their next message goes to the assistant.\n`,
      stderr: '',
    });
    await pairingAt(dir, async (store) => {
      expect(await store.isApproved('+15551234567')).toBe(true);
      expect((await store.list()).map((r) => r.sender)).toEqual(['+15557654321']);
    });
    expect(fs.statSync(storeFile(dir)).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(path.join(dir, 'credentials'))).toBe(false); // no pairing files any more
  });

  it('approve --json prints the approved sender', async () => {
    const dir = tempHome();
    const [code] = await seed(dir, ['+15551234567']);
    const res = await runCli(['pairing', 'approve', 'whatsapp', code!, '--json'], env(dir));
    expect(JSON.parse(res.stdout)).toEqual({ ok: true, channel: 'whatsapp', sender: '+15551234567', accountId: 'default', code });
  });

  it('errors are one line and exit 1: unknown code, malformed code, unknown channel, missing code', async () => {
    const dir = tempHome();
    await seed(dir, ['+15551234567']);
    const unknown = await runCli(['pairing', 'approve', 'whatsapp', 'ZZZZ9999'], env(dir));
    expect(unknown).toEqual({ code: 1, stdout: '', stderr: 'wagate: No pending pairing request has the code ZZZZ9999.\n' });
    const bad = await runCli(['pairing', 'approve', 'whatsapp', 'abc'], env(dir));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('wagate: "abc" is not a pairing code (8 letters and digits, e.g. ABCD2345).\n');
    const channel = await runCli(['pairing', 'list', 'telegram'], env(dir));
    expect(channel).toEqual({ code: 1, stdout: '', stderr: 'wagate: Unknown channel "telegram"; the only channel is whatsapp.\n' });
    const json = await runCli(['pairing', 'approve', 'telegram', 'ABCD2345', '--json'], env(dir));
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ ok: false, error: { code: 'WAGATE_ERR_UNKNOWN_CHANNEL', message: expect.any(String) } });
    const missing = await runCli(['pairing', 'approve', 'whatsapp'], env(dir));
    expect(missing.code).toBe(1);
    await expect(pairingAt(dir, (p) => p.isApproved('+15551234567'))).resolves.toBe(false);
  });

  it('an expired code is refused with a message that says so', async () => {
    const dir = tempHome();
    const res = await pairingAt(dir, (old) => old.requestCode('+15551234567', 'default'), () => Date.now() - 2 * 60 * 60 * 1000);
    const code = (res as { code: string }).code;
    const cli = await runCli(['pairing', 'approve', 'whatsapp', code], env(dir));
    expect(cli.code).toBe(1);
    expect(cli.stderr).toBe(`wagate: The pairing code ${code} has expired; ask the sender to write again for a new one.\n`);
  });
});

describe('wagate pairing while the gateway runs', () => {
  it('a CLI process approves a code the running pairing actor issued; the gateway sees it on the next message', async () => {
    const dir = tempHome();
    const bus = createBus(silentLogger());
    const deps = {
      bus,
      config: validateConfig({}, path.join(dir, 'wagate.json')),
      accounts: new Map(),
      stateDir: dir,
      store: lazyStore(storeFile(dir)),
      configPath: path.join(dir, 'wagate.json'),
      logger: silentLogger(),
      now: Date.now,
      connection: () => {
        throw new Error('not connected');
      },
      identity: () => null,
      catchUpStart: () => null,
    } satisfies ActorDeps;
    actors.push(startPairing(deps));
    const replies: BusEvents['reply.requested'][] = [];
    bus.on('reply.requested', (e) => void replies.push(e));
    const message = {
      accountId: 'default',
      id: 'M1',
      chatJid: '15551234567@s.whatsapp.net',
      chatId: '+15551234567',
      chatType: 'direct',
      from: { jid: '15551234567@s.whatsapp.net', e164: '+15551234567', lid: null, name: null },
      fromMe: false,
      timestamp: Date.now(),
      upsertType: 'notify',
      offline: false,
      kind: 'text',
      text: 'hi',
      mentions: [],
    } satisfies InboundMessage;
    bus.emit('pairing.needed', { accountId: 'default', message, sender: '+15551234567' });
    await bus.idle();
    const code = /Pairing code: ([A-Z2-9]{8})/.exec(replies[0]?.text ?? '')?.[1];
    expect(code).toBeDefined();

    const cli = spawnCli(['pairing', 'approve', 'whatsapp', code!.toLowerCase()], env(dir));
    expect(await cli.exited).toBe(0);
    expect(cli.stdout()).toContain('Approved +15551234567');

    const gatewayStore = createPairingStore({ store: deps.store });
    expect(await gatewayStore.isApproved('+15551234567')).toBe(true);
    bus.emit('pairing.needed', { accountId: 'default', message: { ...message, id: 'M2' }, sender: '+15551234567' });
    await bus.idle();
    expect(replies).toHaveLength(1);
  }, 30_000);
});
