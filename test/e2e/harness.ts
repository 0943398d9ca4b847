/**
 * End-to-end harness: the simulator, a real gateway with the real Baileys
 * transport, a temp state dir (removed after the test) and a config pointing `web.url` at the simulator.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SimulatedClock } from 'xstate';
import type { Bus } from '../../src/bus/bus.js';
import type { BusEventName, BusEvents } from '../../src/bus/events.js';
import { loadConfig, validateConfig, type WagateConfigInput } from '../../src/config/index.js';
import { startGateway, type Gateway } from '../../src/gateway/supervisor.js';
import { createRootLogger, silentLogger } from '../../src/log.js';
import type { LogTap } from '../../src/log-tap.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { createBaileysTransportFactory } from '../../src/whatsapp/index.js';
import type { TransportFactory } from '../../src/ports/transport.js';
import { runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/net.js';
import { tmpDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

export { freePort, until };

/** The text of a message a simulated contact received ('' for media and other kinds). */
export function textOf(m: { message: { conversation?: string | null; extendedTextMessage?: { text?: string | null } | null } }): string {
  return m.message.conversation ?? m.message.extendedTextMessage?.text ?? '';
}

/** DMs open to anyone, a 30-minute catch-up window: the config of the ordering and catch-up tests. */
export const OPEN_DMS = { channels: { whatsapp: { dmPolicy: 'open' as const, allowFrom: ['*'] } }, web: { catchUpMinutes: 30 } };

/** The echo agent's replies a contact received, in order. */
export function echoReplies(c: { inbox: Parameters<typeof textOf>[0][] }): string[] {
  return c.inbox.map(textOf).filter((t) => t.startsWith('echo: '));
}

/** The bus events the e2e tests read outcomes from. */
const RECORDED = [
  'message.received',
  'message.accepted',
  'message.gated',
  'message.dropped',
  'pairing.needed',
  'reply.requested',
  'reply.delivered',
  'reply.failed',
] as const satisfies readonly BusEventName[];
type Recorded = (typeof RECORDED)[number];
export type RecordedEvent = { [K in Recorded]: { type: K; payload: BusEvents[K] } }[Recorded];

/** What the access policy decided about a message (the end of `message.received`). */
const DECISIONS = new Set<Recorded>(['message.accepted', 'message.gated', 'message.dropped', 'pairing.needed']);
export type Decision = Extract<RecordedEvent, { type: 'message.accepted' | 'message.gated' | 'message.dropped' | 'pairing.needed' }>;

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
  /** The recorded bus events of the gateway started last, in order. */
  events: RecordedEvent[];
  /** The recorded events of one type. */
  of<K extends Recorded>(type: K): BusEvents[K][];
  /**
   * Resolves once the running gateway has decided about inbound message `id`
   * (accepted, gated, dropped or pairing needed) and finished all it started:
   * after it, "nothing more was sent" is a meaningful check.
   */
  handled(id: string, timeoutMs?: number): Promise<Decision>;
  /**
   * Start the gateway; `reloadConfig` reads wagate.json again (a command changed it);
   * `logTap` gives it a logger writing (only) to that tap, as `wagate gateway` does for the page's Logs view.
   */
  startGateway(opts?: { reloadConfig?: boolean; logTap?: LogTap; wrapTransport?: (factory: TransportFactory) => TransportFactory }): Promise<Gateway>;
  stopGateway(): Promise<void>;
  /** `wagate channels login --json` for an account; the simulated phone scans the first QR. */
  link(accountId: string, e164: string): Promise<{ code: number; lines: any[] }>;
  /** `wagate channels login --phone <e164> --json`; the simulated phone enters the printed pairing code. */
  linkByCode(accountId: string, e164: string): Promise<{ code: number; lines: any[] }>;
  close(): Promise<void>;
}

/**
 * `wagate channels login --json --account <id>` with `env` (a node's, or the harness's):
 * the simulated phone of `e164` scans the first QR the CLI prints. The CLI's result and
 * every JSON line it printed.
 */
export async function cliLinkByQr(sim: Simulator, env: Record<string, string>, accountId: string, e164: string) {
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
  return { ...res, lines };
}

export async function e2e(extra: WagateConfigInput = {}, opts: { keepAliveIntervalMs?: number; initialSync?: 'after-link' | 'never' } = {}): Promise<E2E> {
  // The simulator's clock may be skewed to stamp messages in the past (catch-up tests).
  const skew = { ms: 0 };
  const gatewaySkew = { ms: 0 };
  const sim = await startSimulator({ port: 0, host: '127.0.0.1', now: () => Date.now() + skew.ms, initialSync: opts.initialSync });
  const home = tmpDir('e2e');
  const port = await freePort();
  // WhatsApp Web's version comes from the simulator's sw.js too (a test may point it elsewhere).
  const raw: WagateConfigInput = { ...extra, web: { versionUrl: sim.versionUrl, ...extra.web, url: sim.url }, gateway: { ...extra.gateway, port } };
  const configPath = path.join(home, 'wagate.json');
  fs.writeFileSync(configPath, JSON.stringify(raw));
  let config = validateConfig(raw, configPath);
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
    events: [],
    of(type) {
      return h.events.filter((e) => e.type === type).map((e) => e.payload) as never;
    },
    async handled(id, timeoutMs = 10_000) {
      const gw = h.gateway;
      if (!gw) throw new Error('handled(): no gateway is running');
      const decision = await until(
        () => h.events.find((e): e is Decision => DECISIONS.has(e.type) && (e as Decision).payload.message.id === id),
        `the gateway's decision about message ${id}`,
        timeoutMs,
      );
      await settled(gw);
      return decision;
    },
    async startGateway(startOpts = {}) {
      if (startOpts.reloadConfig) config = loadConfig({ path: configPath, env }).config;
      const tapped = startOpts.logTap ? createRootLogger({ toFile: false, pretty: false, tap: startOpts.logTap }).logger : null;
      h.gateway = await startGateway({
        ...(startOpts.logTap ? { logTap: startOpts.logTap } : {}),
        config,
        configPath,
        stateDir: home,
        env,
        transport: (startOpts.wrapTransport ?? ((f) => f))(createBaileysTransportFactory({ config, env, logger, keepAliveIntervalMs: opts.keepAliveIntervalMs })),
        logger: tapped ?? logger,
        port,
        tickMs: 0,
        clock,
        now: () => Date.now() + gatewaySkew.ms,
      });
      h.events = record(h.gateway.bus);
      return h.gateway;
    },
    async stopGateway() {
      await h.gateway?.stop();
      h.gateway = null;
    },
    async link(accountId, e164) {
      const { code, lines } = await cliLinkByQr(sim, env, accountId, e164);
      return { code, lines };
    },
    async linkByCode(accountId, e164) {
      const lines: any[] = [];
      let entered: Promise<unknown> | null = null;
      const res = await runCli(['channels', 'login', '--json', '--account', accountId, '--phone', e164, '--timeout', '20'], env, {
        onOut: (t) => {
          for (const l of t.trim().split('\n')) {
            const ev = JSON.parse(l);
            lines.push(ev);
            // The phone shows eight boxes: the code is typed without the dash.
            if (ev.event === 'code' && !entered) entered = sim.phone(e164).enterPairingCode(String(ev.code).replace('-', ''));
          }
        },
      });
      await entered;
      return { code: res.code, lines };
    },
    async close() {
      await h.stopGateway();
      await sim.close(); // the state dir goes after the test (tmpDir)
    },
  };
  return h;
}

function record(bus: Bus): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  for (const type of RECORDED) bus.on(type, (payload) => void events.push({ type, payload } as RecordedEvent));
  return events;
}

/**
 * Resolves when the gateway has nothing in flight: every bus handler has settled
 * and no agent run is queued or running (agent runs outlive their bus handler).
 */
export async function settled(gw: Gateway): Promise<void> {
  const dispatch = gw.actors.get('agent-dispatch') as { idle?(): Promise<void>; summary(): unknown } | undefined;
  for (;;) {
    await gw.bus.idle();
    await dispatch?.idle?.();
    await gw.bus.idle();
    const busy = (dispatch?.summary() as { sessionsBusy?: string[] } | undefined)?.sessionsBusy ?? [];
    if (busy.length === 0) return;
  }
}
