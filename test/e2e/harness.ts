/**
 * End-to-end harness: the simulator, a real gateway with the real Baileys
 * transport, a temp state dir and a config pointing `web.url` at the simulator.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SimulatedClock } from 'xstate';
import { validateConfig, type WagateConfigInput } from '../../src/config/index.js';
import { startGateway, type Gateway } from '../../src/gateway/supervisor.js';
import { silentLogger } from '../../src/log.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { createBaileysTransportFactory } from '../../src/whatsapp/index.js';
import { runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/net.js';

export { freePort };


export interface E2E {
  sim: Simulator;
  home: string;
  env: Record<string, string>;
  configPath: string;
  clock: SimulatedClock;
  /** Shift the simulator's clock (ms): messages sent meanwhile carry that time. */
  skew: { ms: number };
  /** Shift the in-process gateway's wall clock (ms), e.g. to let it see 30 s of downtime at once. */
  gatewaySkew: { ms: number };
  gateway: Gateway | null;
  startGateway(): Promise<Gateway>;
  stopGateway(): Promise<void>;
  /** `wagate channels login --json` for an account; the simulated phone scans the first QR. */
  link(accountId: string, e164: string): Promise<{ code: number; lines: any[] }>;
  close(): Promise<void>;
}

export async function e2e(extra: WagateConfigInput = {}, opts: { keepAliveIntervalMs?: number; initialSync?: 'after-link' | 'never' } = {}): Promise<E2E> {
  // The simulator's clock may be skewed to stamp messages in the past (catch-up tests).
  const skew = { ms: 0 };
  const gatewaySkew = { ms: 0 };
  const sim = await startSimulator({ port: 0, host: '127.0.0.1', now: () => Date.now() + skew.ms, initialSync: opts.initialSync });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'wagate-e2e-'));
  const port = await freePort();
  const raw: WagateConfigInput = { ...extra, web: { ...extra.web, url: sim.url }, gateway: { port } };
  const configPath = path.join(home, 'wagate.json');
  fs.writeFileSync(configPath, JSON.stringify(raw));
  const config = validateConfig(raw, configPath);
  const env = { WAGATE_HOME: home, HOME: home };
  const clock = new SimulatedClock();
  const logger = silentLogger();
  const h: E2E = {
    sim,
    home,
    env,
    configPath,
    clock,
    skew,
    gatewaySkew,
    gateway: null,
    async startGateway() {
      h.gateway = await startGateway({
        config,
        configPath,
        stateDir: home,
        env,
        transport: createBaileysTransportFactory({ config, env, logger, keepAliveIntervalMs: opts.keepAliveIntervalMs }),
        logger,
        port,
        tickMs: 0,
        clock,
        now: () => Date.now() + gatewaySkew.ms,
      });
      return h.gateway;
    },
    async stopGateway() {
      await h.gateway?.stop();
      h.gateway = null;
    },
    async link(accountId, e164) {
      const lines: any[] = [];
      let scanned = false;
      const res = await runCli(['channels', 'login', '--json', '--account', accountId, '--timeout', '20'], env, {
        onOut: (t) => {
          for (const l of t.trim().split('\n')) {
            const ev = JSON.parse(l);
            lines.push(ev);
            if (ev.event === 'qr' && !scanned) {
              scanned = true;
              void sim.phone(e164).scanQr(ev.qr);
            }
          }
        },
      });
      return { code: res.code, lines };
    },
    async close() {
      await h.stopGateway();
      await sim.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
  return h;
}

/** Poll (real time, bounded) until `fn` returns a truthy value. */
export async function until<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
