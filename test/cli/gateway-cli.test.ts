import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, spawnCli, type SpawnedCli } from '../helpers/cli.js';
import { freePort } from '../helpers/net.js';
import { tmpDir } from '../helpers/tmp.js';

const children: SpawnedCli[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.child.exitCode === null) {
      c.child.kill('SIGKILL');
      await c.exited;
    }
  }
});


async function home(config: unknown): Promise<Record<string, string>> {
  const dir = tmpDir('cli');
  fs.writeFileSync(path.join(dir, 'wagate.json'), JSON.stringify(config));
  return { WAGATE_HOME: dir, HOME: dir };
}

describe('wagate CLI', () => {
  it('--help lists the commands and exits 0', async () => {
    const r = await runCli(['--help'], {});
    expect(r.code).toBe(0);
    for (const cmd of ['gateway', 'channels', 'debug']) expect(r.stdout).toContain(cmd);
  });

  it('an unknown command or bad option value is one clear line and exit 1', async () => {
    const r = await runCli(['frobnicate'], {});
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
    const p = await runCli(['gateway', '--port', 'http'], {});
    expect(p.code).toBe(1);
    expect(p.stderr).toContain('"http" is not a port number');
  });

  it('an invalid config stops every command with the file, key path and expectation', async () => {
    const env = await home({ channels: { whatsapp: { dmPolicy: 'opne' } } });
    const r = await runCli(['channels', 'status'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(path.join(env.WAGATE_HOME!, 'wagate.json'));
    expect(r.stderr).toContain('channels.whatsapp.dmPolicy');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('debug dump without a running gateway is one clear line and exit 1', async () => {
    const env = await home({ gateway: { port: await freePort() } });
    const r = await runCli(['debug', 'dump'], env);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^wagate: The gateway is not reachable at ws:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\); start it with `wagate gateway`\.$/);
    const j = await runCli(['debug', 'dump', '--json'], env);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, error: { code: 'WAGATE_ERR_GATEWAY_UNREACHABLE' } });
  });

  it('channels status without a gateway shows what is on disk with the fix hint', async () => {
    const env = await home({ gateway: { port: await freePort() }, channels: { whatsapp: { accounts: { work: {}, home: {} } } } });
    const r = await runCli(['channels', 'status'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Gateway not running');
    expect(r.stdout).toContain('work: enabled, not linked');
    expect(r.stdout).toContain('Not linked: run `wagate channels login --account work`');
    const j = JSON.parse((await runCli(['channels', 'status', '--json'], env)).stdout);
    expect(j.gatewayRunning).toBe(false);
    expect(j.accounts.map((a: any) => [a.accountId, a.linked])).toEqual([
      ['home', false],
      ['work', false],
    ]);
  });

  it('`wagate gateway` with two accounts: debug dump --json shows both machines, SIGINT exits 0', async () => {
    const port = await freePort();
    const env = await home({ gateway: { port }, channels: { whatsapp: { accounts: { alpha: {}, beta: {} } } } });
    const gw = spawnCli(['gateway'], env);
    children.push(gw);
    await gw.waitFor('wagate gateway listening');
    expect(gw.stdout()).toContain('accounts: alpha, beta');
    const dump = await runCli(['debug', 'dump', '--json'], env);
    expect(dump.code).toBe(0);
    const parsed = JSON.parse(dump.stdout);
    expect(parsed.accounts.map((a: any) => [a.accountId, a.state])).toEqual([
      ['alpha', 'unlinked'],
      ['beta', 'unlinked'],
    ]);
    expect(parsed.accounts[0].transitions[0]).toMatchObject({ event: expect.any(String), to: 'unlinked', at: expect.any(Number) });
    const one = JSON.parse((await runCli(['debug', 'dump', '--json', '--account', 'beta'], env)).stdout);
    expect(one.accounts.map((a: any) => a.accountId)).toEqual(['beta']);
    const status = JSON.parse((await runCli(['channels', 'status', '--json'], env)).stdout);
    expect(status.gatewayRunning).toBe(true);
    expect(status.accounts.map((a: any) => [a.accountId, a.state, a.running])).toEqual([
      ['alpha', 'unlinked', true],
      ['beta', 'unlinked', true],
    ]);
    gw.child.kill('SIGINT');
    // The bound: Ctrl-C ends the gateway, exit code 0, within 5 s.
    const bound = new Promise<'too slow'>((r) => setTimeout(() => r('too slow'), 5000).unref());
    expect(await Promise.race([gw.exited, bound])).toBe(0);
    expect(gw.stdout()).toContain('wagate gateway stopped.');
  });
});
