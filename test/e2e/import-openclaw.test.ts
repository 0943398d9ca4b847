/**
 * `wagate import openclaw`, end to end (real Baileys ↔ simulator): an OpenClaw install
 * whose auth dir was written by Baileys' own `useMultiFileAuthState` → a dry run writes
 * nothing → the import → the gateway connects without a QR and answers the allowlisted
 * contact, with the WhatsApp part of openclaw.json in wagate.json and the approved
 * senders in the store; the OpenClaw dir is never modified.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { useMultiFileAuthState } from '@whiskeysockets/baileys';
import JSON5 from 'json5';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { runCli } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';
import { TestClient } from '../sim/helpers/client.js';
import { e2e, until, type E2E, textOf } from './harness.js';

const BOT = '+15550008100';
const KIM = '+15557773001';

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

/** Every file under `dir` with a hash of its content (to prove nothing changed). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

describe('wagate import openclaw', () => {
  it('imports a Baileys-written auth dir, approved senders and the WhatsApp config: no QR, answers; dry run writes nothing', async () => {
    h = await e2e({});
    const oc = tmpDir('openclaw');
    const authDir = path.join(oc, 'credentials', 'whatsapp', 'default');
    const files = await useMultiFileAuthState(authDir);
    const bare = new TestClient(h.sim.url, { auth: { state: files.state } });
    await bare.link((qr) => h!.sim.phone(BOT).scanQr(qr));
    await until(() => (files.state.creds.accountSyncCounter ?? 0) > 0, 'the first app-state sync');
    await bare.end();
    await files.saveCreds();
    fs.writeFileSync(
      path.join(oc, 'openclaw.json'),
      `// OpenClaw config (JSON5)
      {
        channels: {
          whatsapp: {
            dmPolicy: "allowlist",
            allowFrom: ["${KIM}"],
            textChunkLimit: 3000,
            someOpenClawOnlyKey: true,
            accounts: { default: { authDir: "~/.openclaw/credentials/whatsapp/default" } },
          },
          telegram: { botToken: "x" },
        },
        agents: { defaults: { workspace: "~/clawd" } },
      }`,
    );
    fs.writeFileSync(path.join(oc, 'credentials', 'whatsapp-allowFrom.json'), JSON.stringify({ version: 1, allowFrom: ['+15557773002'] }));
    // the authDir in openclaw.json points at ~/.openclaw of this fake home
    fs.symlinkSync(oc, path.join(h.home, '.openclaw'));
    const before = snapshot(oc);
    const configBefore = fs.readFileSync(h.configPath, 'utf8');

    const dry = await runCli(['import', 'openclaw', '--dry-run', '--json'], h.env);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    const planned = JSON.parse(dry.stdout);
    expect(planned.accounts).toEqual([expect.objectContaining({ accountId: 'default', status: 'would-import', keys: expect.any(Number) })]);
    expect(planned.config.mapped.map((k: { key: string }) => k.key)).toEqual([
      'channels.whatsapp.dmPolicy',
      'channels.whatsapp.allowFrom',
      'channels.whatsapp.textChunkLimit',
    ]);
    expect(fs.readFileSync(h.configPath, 'utf8')).toBe(configBefore);
    expect(fs.existsSync(path.join(h.home, 'wagate.db'))).toBe(false);
    expect(snapshot(oc)).toEqual(before);

    const r = await runCli(['import', 'openclaw', '--from', oc], h.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`default: imported creds and`);
    expect(r.stdout).toContain('mapped      channels.whatsapp.dmPolicy = "allowlist"');
    expect(r.stdout).toMatch(/not mapped {2}channels\.whatsapp\.someOpenClawOnlyKey: /);
    expect(r.stdout).toContain('not mapped  channels.whatsapp.accounts.default.authDir: the credentials are imported into the store instead');
    expect(r.stdout).toContain('not mapped  channels.telegram: not the WhatsApp part');
    expect(r.stdout).toContain('not mapped  agents: not the WhatsApp part');
    expect(snapshot(oc)).toEqual(before); // the OpenClaw dir is only read
    const merged = JSON5.parse(fs.readFileSync(h.configPath, 'utf8'));
    expect(merged.channels.whatsapp).toEqual({ dmPolicy: 'allowlist', allowFrom: [KIM], textChunkLimit: 3000 });
    expect(merged.web.url).toBe(h.sim.url); // what was there stays
    expect(loadConfig({ path: h.configPath, env: h.env }).config.channels.whatsapp.dmPolicy).toBe('allowlist');

    // again: everything is already there; a conflicting key needs --force
    const again = await runCli(['import', 'openclaw', '--from', oc, '--json'], h.env);
    expect(JSON.parse(again.stdout)).toMatchObject({ accounts: [{ status: 'already-in-store' }], config: { mapped: [], written: false } });
    const conflicting = JSON5.parse(fs.readFileSync(h.configPath, 'utf8'));
    conflicting.channels.whatsapp.textChunkLimit = 1000;
    fs.writeFileSync(h.configPath, JSON.stringify(conflicting));
    const refused = await runCli(['import', 'openclaw', '--from', oc], h.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('channels.whatsapp.textChunkLimit');
    expect(refused.stderr).toContain('--force');
    expect(JSON5.parse(fs.readFileSync(h.configPath, 'utf8')).channels.whatsapp.textChunkLimit).toBe(1000);
    const forced = await runCli(['import', 'openclaw', '--from', oc, '--force', '--json'], h.env);
    expect(JSON.parse(forced.stdout).config.replaced).toEqual([{ key: 'channels.whatsapp.textChunkLimit', value: 3000 }]);

    const gw = await h.startGateway({ reloadConfig: true });
    const qrs: unknown[] = [];
    gw.bus.on('account.qr.updated', (e) => void qrs.push(e));
    await until(() => gw.accounts.get('default')!.state === 'connected', 'connected from the imported creds');
    expect(qrs).toEqual([]);
    expect(await gw.store.pairing.approved()).toEqual(['+15557773002']);
    const kim = h.sim.contact(KIM, { name: 'Kim' });
    await kim.send('hello after switching');
    await until(() => kim.inbox.map(textOf).includes('echo: hello after switching'), 'the reply');
    expect(snapshot(oc)).toEqual(before);
  });

  it('no OpenClaw install at --from: one clear error, exit 1, nothing written', async () => {
    const home = tmpDir('import');
    const r = await runCli(['import', 'openclaw', '--from', path.join(home, 'nope')], { WAGATE_HOME: home, HOME: home });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^wagate: No OpenClaw install at .*nope/);
    expect(fs.readdirSync(home)).toEqual([]);
  });
});
