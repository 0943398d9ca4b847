/**
 * The operator's plain-HTTP routes on the control port (README "Metrics and
 * health"): `/metrics` (Prometheus; the control token, unless `metrics.public`
 * on a loopback bind), `/healthz` and `/readyz` (open: they tell state names and
 * error codes, nothing else).
 */
import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.js';
import type { WagateConfig } from '../config/index.js';
import type { InboundLedger } from '../ledger/inbound-ledger.js';
import { createPairingStore } from '../pairing/store.js';
import type { Store } from '../store/port.js';
import type { AccountRuntime } from './account-runtime.js';
import { isLoopback } from './bind-policy.js';
import type { HttpAnswer, HttpRoute } from './control-http.js';
import { createGatewayMetrics } from './metrics.js';
import { readiness } from './readiness.js';

export interface OperatorRoutesOptions {
  bus: Bus;
  config: WagateConfig;
  /** The running (enabled) accounts. */
  accounts: ReadonlyMap<string, AccountRuntime>;
  stateDir: string;
  /** The gateway's store (pairing requests for the metrics). */
  store: Store;
  /** The inbound ledger (the ledger metrics). */
  ledger?: InboundLedger;
  now: () => number;
  logger: Logger;
}

export interface OperatorRoutes {
  routes: ReadonlyMap<string, HttpRoute>;
  stop(): void;
}

const json = (status: number, value: unknown): HttpAnswer => ({
  status,
  contentType: 'application/json; charset=utf-8',
  body: `${JSON.stringify(value)}\n`,
});

export function startOperatorRoutes(opts: OperatorRoutesOptions): OperatorRoutes {
  const pairing = createPairingStore({ store: opts.store, now: opts.now });
  const running = () => [...opts.accounts.values()];
  const metrics = createGatewayMetrics({
    bus: opts.bus,
    accounts: () => running().map((a) => ({ accountId: a.accountId, state: a.state, webVersion: a.webVersion() })),
    pairingPending: async () => (await pairing.list()).length,
    ...(opts.ledger ? { ledger: opts.ledger } : {}),
    now: opts.now,
    onError: (err) => opts.logger.warn({ err }, 'metrics: the store is unreadable (pairing requests or the ledger audit)'),
  });
  const open = opts.config.metrics.public && isLoopback(opts.config.gateway.bind);
  if (open) opts.logger.info('metrics.public: /metrics is served without the control token (loopback bind)');
  const routes = new Map<string, HttpRoute>([
    [
      '/metrics',
      {
        auth: open ? 'open' : 'token',
        answer: async () => ({ status: 200, contentType: metrics.contentType, body: await metrics.render() }),
      },
    ],
    ['/healthz', { auth: 'open', answer: () => json(200, { ok: true }) }],
    [
      '/readyz',
      {
        auth: 'open',
        answer: () => {
          const r = readiness(running().map((a) => ({ accountId: a.accountId, state: a.state, error: a.context.error })));
          return json(r.ready ? 200 : 503, r);
        },
      },
    ],
  ]);
  return { routes, stop: () => metrics.stop() };
}
