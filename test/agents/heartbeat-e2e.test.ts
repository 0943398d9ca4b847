/**
 * Agent heartbeat in the real gateway: the actor is started with the others, its
 * summary (next run, last result) shows in `wagate debug dump`, and a heartbeat
 * reply reaches the `to` contact through Baileys while HEARTBEAT_OK sends nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentHeartbeatActor } from '../../src/actors/agent-heartbeat.js';
import { runCli } from '../helpers/cli.js';
import { e2e, until, type E2E } from '../e2e/harness.js';
import { tmpDir } from '../helpers/tmp.js';

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const DAVE = '+15557773001';

describe('agent heartbeat in the gateway', () => {
  it('shows in debug dump; a non-OK reply reaches the contact, HEARTBEAT_OK does not', async () => {
    // The model says HEARTBEAT_OK unless the marker file exists.
    const marker = path.join(tmpDir('hb'), 'attention-needed');
    const script = `const fs=require('fs');process.stdin.resume();process.stdin.on('end',()=>process.stdout.write(fs.existsSync(${JSON.stringify(marker)})?'Time to stretch.':'HEARTBEAT_OK'))`;
    h = await e2e({
      channels: { whatsapp: { dmPolicy: 'open', allowFrom: ['*'] } },
      agents: {
        defaults: {
          model: { provider: 'command', command: [process.execPath, '-e', script] },
          heartbeat: { every: '30m', target: 'whatsapp', to: DAVE },
        },
      },
    });
    const gw = await h.startGateway();
    expect((await h.link('default', '+15550006000')).code).toBe(0);
    await until(() => gw.accounts.get('default')!.state === 'connected', 'connected');
    const dave = h.sim.contact(DAVE, { name: 'Dave' });
    const hb = gw.actors.get('agent-heartbeat') as AgentHeartbeatActor;

    expect((await hb.runNow('main')).outcome).toBe('ok');
    fs.writeFileSync(marker, '');
    expect((await hb.runNow('main')).outcome).toBe('delivered');
    await until(() => dave.inbox.some((m) => (m.message.conversation ?? m.message.extendedTextMessage?.text) === 'Time to stretch.'), 'the heartbeat message');
    expect(dave.inbox).toHaveLength(1);

    const dump = await runCli(['debug', 'dump', '--json'], h.env);
    expect(dump.code).toBe(0);
    const summary = JSON.parse(dump.stdout).actors['agent-heartbeat'];
    expect(summary.agents).toHaveLength(1);
    expect(summary.agents[0]).toMatchObject({ agentId: 'main', every: '30m', target: 'whatsapp', runs: 2, lastRun: { outcome: 'delivered' } });
    expect(summary.agents[0].nextRunAt).toBeGreaterThan(Date.now());
  }, 60_000);
});
