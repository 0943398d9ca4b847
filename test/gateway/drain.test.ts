/**
 * Issue 13: the bounded drain on stop. The gateway stops taking messages, lets agent
 * runs and replies in flight finish for `gateway.drainSeconds` (on injected timers),
 * then stops without waiting for what still hangs.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/index.js';
import { startGateway, type Gateway } from '../../src/gateway/supervisor.js';
import { silentLogger } from '../../src/log.js';
import { dm } from '../access/harness.js';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai.js';
import { FakeTransportFactory } from '../helpers/fake-transport.js';
import { tmpDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

/** Timers the test fires by hand: records each delay asked for. */
class HandTimers {
  readonly armed = new Map<number, { fn: () => void; ms: number }>();
  readonly asked: number[] = [];
  private next = 1;
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.armed.set(id, { fn, ms });
    this.asked.push(ms);
    return id;
  }
  clearTimeout(id: unknown): void {
    this.armed.delete(id as number);
  }
  fireAll(): void {
    for (const [id, t] of [...this.armed]) {
      this.armed.delete(id);
      t.fn();
    }
  }
}

let gw: Gateway | null = null;
let ai: FakeOpenAi | null = null;
afterEach(async () => {
  await gw?.stop();
  gw = null;
  await ai?.close();
  ai = null;
});

async function setup(drainSeconds: number) {
  ai = await startFakeOpenAi();
  const stateDir = tmpDir('drain');
  const config = validateConfig(
    {
      channels: { whatsapp: { dmPolicy: 'open', allowFrom: ['*'], accounts: { work: {} } } },
      agents: { defaults: { model: { provider: 'openai', baseUrl: ai.baseUrl, model: 'm' } } },
      gateway: { drainSeconds },
    },
    path.join(stateDir, 'wagate.json'),
  );
  const transport = new FakeTransportFactory({ work: true });
  const timers = new HandTimers();
  gw = await startGateway({
    config,
    configPath: path.join(stateDir, 'wagate.json'),
    stateDir,
    env: { WAGATE_HOME: stateDir },
    transport,
    logger: silentLogger(),
    port: 0,
    tickMs: 0,
    timers,
  });
  const conn = transport.get('work').current;
  conn.open();
  await until(() => gw!.accounts.get('work')!.state === 'connected', 'connected');
  const settled = { stop: false };
  const write = (text: string) => conn.emit({ type: 'messages', messages: [dm('+15551234567', text, { accountId: 'work', timestamp: Date.now() })] });
  return { gw, ai, conn, timers, settled, write };
}

describe('the drain on stop (gateway.drainSeconds)', () => {
  it('an agent that never answers does not hold the stop beyond the configured bound', async () => {
    const t = await setup(7);
    t.ai.reply = { kind: 'hang' };
    t.write('think hard');
    await until(() => t.ai.requests.length === 1, 'the agent asked');
    const stopped = t.gw.stop('SIGTERM').then(() => (t.settled.stop = true));
    await until(() => t.timers.armed.size === 1, 'the drain timer armed');
    expect(t.timers.asked).toEqual([7000]);
    expect(t.settled.stop).toBe(false); // draining: the run is still in flight
    expect(t.ai.clientAborts).toBe(0);
    t.timers.fireAll(); // the bound is reached
    await stopped;
    expect(t.settled.stop).toBe(true);
    await until(() => t.ai.clientAborts === 1, 'the abandoned agent call closed');
    expect(t.conn.sent).toEqual([]); // nothing half-done was sent or marked done
    gw = null;
  });

  it('a run in flight that finishes inside the bound gets its reply out before the stop completes', async () => {
    const t = await setup(5);
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    t.conn.beforeSend = () => held; // the reply's send is in flight too when the stop begins
    t.write('quick one');
    await until(() => t.ai.requests.length === 1, 'the agent asked');
    const stopped = t.gw.stop('SIGTERM').then(() => (t.settled.stop = true));
    await until(() => t.timers.armed.size === 1, 'the drain timer armed');
    expect(t.settled.stop).toBe(false);
    release();
    await stopped;
    expect(t.conn.sent.map((s) => s.text)).toEqual(['Hello world']);
    expect(t.timers.armed.size).toBe(0); // the bound was never reached; its timer is cleared
    gw = null;
  });

  it('messages arriving while it drains are not taken', async () => {
    const t = await setup(5);
    t.ai.reply = { kind: 'hang' };
    t.write('first');
    await until(() => t.ai.requests.length === 1, 'the agent asked');
    const stopped = t.gw.stop('SIGTERM');
    await until(() => t.timers.armed.size === 1, 'the drain timer armed');
    t.write('too late');
    await t.gw.bus.idle();
    t.timers.fireAll();
    await stopped;
    expect(t.ai.requests).toHaveLength(1);
    gw = null;
  });
});
