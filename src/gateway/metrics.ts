/**
 * The gateway's Prometheus metrics (`GET /metrics`, README "Metrics and health"),
 * counted from the bus and read from the accounts and the pairing store on each
 * scrape. One registry per gateway; the process metrics (event-loop lag, heap,
 * RSS…) are process-wide, collected once and merged in.
 *
 * Labels stay bounded: `account` (config-bounded), states, close kinds and known
 * codes, reply sources, outcomes and the access policy's known reasons (any other
 * reason or code counts as `other`). Never a chat, a number or a message id.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ACCOUNT_STATES } from '../../machines/index.js';
import type { Bus } from '../bus/bus.js';
import type { InboundLedger, LedgerChange } from '../ledger/inbound-ledger.js';
import type { WebVersionInUse } from '../ports/transport.js';
import { auditLedger } from './ledger-methods.js';
import { GATED_REASONS, DROP_REASONS, LEDGER_DROP_REASONS, boundedCode, boundedReason } from './metric-labels.js';

export interface GatewayMetricsOptions {
  bus: Bus;
  /** The running (enabled) accounts and their current state, read on each scrape. */
  accounts(): Iterable<{ accountId: string; state: string; webVersion?: WebVersionInUse | null }>;
  /** Pending pairing requests, read on each scrape. */
  pairingPending(): Promise<number>;
  /** The gateway's inbound ledger: outcomes counted as they commit, the audit read on each scrape. */
  ledger?: InboundLedger;
  now: () => number;
  onError?: (err: unknown) => void;
}

export interface GatewayMetrics {
  readonly contentType: string;
  /** The text exposition of every metric. */
  render(): Promise<string>;
  /** Detach from the bus. */
  stop(): void;
}

/** Pairs remembered to time replies (message → run → reply); the oldest go first. */
const MAX_TRACKED = 1000;
const SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

let processRegistry: Registry | null = null;
/** prom-client's default metrics, once per process (they watch the process, not a gateway). */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > MAX_TRACKED) map.delete(map.keys().next().value as string);
}

function take<V>(map: Map<string, V>, key: string): V | undefined {
  const v = map.get(key);
  map.delete(key);
  return v;
}

export function createGatewayMetrics(opts: GatewayMetricsOptions): GatewayMetrics {
  const own = new Registry();
  const registers = [own];
  new Gauge({
    name: 'wagate_account_state',
    help: 'Account state: 1 for the state each enabled account is in, 0 for the others.',
    labelNames: ['account', 'state'] as const,
    registers,
    collect() {
      this.reset();
      for (const a of opts.accounts()) for (const s of ACCOUNT_STATES) this.set({ account: a.accountId, state: s }, a.state === s ? 1 : 0);
    },
  });
  const opened = new Counter({
    name: 'wagate_account_connections_opened_total',
    help: 'WhatsApp connections opened (logged in and usable).',
    labelNames: ['account'] as const,
    registers,
  });
  const closed = new Counter({
    name: 'wagate_account_connections_closed_total',
    help: 'WhatsApp connections closed, by close kind and code (none: no status code; other: an unlisted code).',
    labelNames: ['account', 'kind', 'code'] as const,
    registers,
  });
  const reconnects = new Counter({
    name: 'wagate_account_reconnect_attempts_total',
    help: 'Connection attempts after a lost connection (a retry after backing off, a 515 restart, a manual reconnect).',
    labelNames: ['account'] as const,
    registers,
  });
  const inbound = new Counter({
    name: 'wagate_inbound_messages_total',
    help: 'Inbound messages by access-policy outcome (accepted, gated, dropped, pairing) and reason (none for accepted and pairing).',
    labelNames: ['account', 'outcome', 'reason'] as const,
    registers,
  });
  const delivered = new Counter({
    name: 'wagate_replies_delivered_total',
    help: 'Replies whose every chunk was sent, by source (agent, pairing, command, heartbeat, cli).',
    labelNames: ['account', 'source'] as const,
    registers,
  });
  const failed = new Counter({
    name: 'wagate_replies_failed_total',
    help: 'Replies that could not be delivered, by source.',
    labelNames: ['account', 'source'] as const,
    registers,
  });
  const runs = new Histogram({
    name: 'wagate_agent_run_duration_seconds',
    help: 'Agent run duration, from its turn in the session queue to its answer, by origin and status.',
    labelNames: ['account', 'origin', 'status'] as const,
    buckets: SECONDS_BUCKETS,
    registers,
  });
  const latency = new Histogram({
    name: 'wagate_reply_latency_seconds',
    help: "From an inbound message's arrival at the gateway to the agent's reply sent.",
    labelNames: ['account'] as const,
    buckets: SECONDS_BUCKETS,
    registers,
  });
  const outcomes = new Counter({
    name: 'wagate_ledger_outcomes_total',
    help:
      'Inbound messages by the final state their ledger entry reached (replied, failed, dropped, gated, pairing) and reason ' +
      '(dropped: the drop reason, expired for one left unfinished past the catch-up window; gated: the gate reason; replied: no-reply when the agent had nothing to say; else none).',
    labelNames: ['account', 'outcome', 'reason'] as const,
    registers,
  });
  new Gauge({
    name: 'wagate_ledger_unexplained_entries',
    help: 'Ledger entries that are unfinished and that nothing in the gateway is going to finish (`wagate messages audit`); 0 when healthy.',
    labelNames: ['account'] as const,
    registers,
    async collect() {
      const ledger = opts.ledger;
      if (!ledger) return;
      const running = new Set([...opts.accounts()].map((a) => a.accountId));
      try {
        const audit = await auditLedger(ledger, running);
        this.reset();
        for (const account of running) this.set({ account }, 0);
        for (const e of audit.unexplained) if (running.has(e.accountId)) this.inc({ account: e.accountId });
      } catch (err) {
        opts.onError?.(err);
      }
    },
  });
  new Gauge({
    name: 'wagate_pairing_requests_pending',
    help: 'Pairing requests waiting for approval (read from the pairing store).',
    registers,
    async collect() {
      try {
        this.set(await opts.pairingPending());
      } catch (err) {
        opts.onError?.(err);
      }
    },
  });
  new Gauge({
    name: 'wagate_whatsapp_web_version_info',
    help: "The WhatsApp Web version each account's latest connection announced (label version) and where it came from (label source: config, fetched, cache, bundled).",
    labelNames: ['account', 'version', 'source'] as const,
    registers,
    collect() {
      this.reset();
      for (const a of opts.accounts()) if (a.webVersion) this.set({ account: a.accountId, version: a.webVersion.version, source: a.webVersion.source }, 1);
    },
  });

  for (const { accountId: account } of opts.accounts()) {
    for (const c of [opened, reconnects]) c.inc({ account }, 0);
    for (const c of [delivered, failed]) c.inc({ account, source: 'agent' }, 0);
    inbound.inc({ account, outcome: 'accepted', reason: 'none' }, 0);
    for (const [outcome, reason] of [['replied', 'none'], ['failed', 'none'], ['dropped', 'expired']] as const) outcomes.inc({ account, outcome, reason }, 0);
  }

  /** `account\0messageId` → when it arrived; runId → that time; requestId → reply source. */
  const received = new Map<string, number>();
  const answering = new Map<string, number>();
  const sources = new Map<string, string>();
  const msgKey = (accountId: string, id: string) => `${accountId}\u0000${id}`;
  const { bus } = opts;
  const offs = [
    bus.on('account.connected', ({ accountId }) => opened.inc({ account: accountId })),
    bus.on('account.disconnected', ({ accountId, kind, code }) => closed.inc({ account: accountId, kind, code: boundedCode(code) })),
    bus.on('account.state.changed', ({ accountId, from, to }) => {
      if (to === 'connecting' && (from === 'backing-off' || from === 'connected' || from === 'degraded')) reconnects.inc({ account: accountId });
    }),
    bus.on('message.received', ({ accountId, message }) => remember(received, msgKey(accountId, message.id), opts.now())),
    bus.on('message.accepted', ({ accountId }) => inbound.inc({ account: accountId, outcome: 'accepted', reason: 'none' })),
    bus.on('pairing.needed', ({ accountId, message }) => {
      received.delete(msgKey(accountId, message.id));
      inbound.inc({ account: accountId, outcome: 'pairing', reason: 'none' });
    }),
    bus.on('message.gated', ({ accountId, message, reason }) => {
      received.delete(msgKey(accountId, message.id));
      inbound.inc({ account: accountId, outcome: 'gated', reason: boundedReason(reason, GATED_REASONS) });
    }),
    bus.on('message.dropped', ({ accountId, message, reason }) => {
      received.delete(msgKey(accountId, message.id));
      inbound.inc({ account: accountId, outcome: 'dropped', reason: boundedReason(reason, DROP_REASONS) });
    }),
    bus.on('agent.run.finished', ({ accountId, runId, origin, status, durationMs, messageId }) => {
      runs.observe({ account: accountId, origin, status }, durationMs / 1000);
      const at = messageId === null ? undefined : take(received, msgKey(accountId, messageId));
      if (at !== undefined && status === 'ok') remember(answering, runId, at);
    }),
    bus.on('reply.requested', ({ requestId, source }) => remember(sources, requestId, source)),
    bus.on('reply.delivered', ({ accountId, requestId, at }) => {
      delivered.inc({ account: accountId, source: take(sources, requestId) ?? 'unknown' });
      const since = take(answering, requestId);
      if (since !== undefined) latency.observe({ account: accountId }, Math.max(0, at - since) / 1000);
    }),
    bus.on('reply.failed', ({ accountId, requestId }) => {
      answering.delete(requestId);
      failed.inc({ account: accountId, source: take(sources, requestId) ?? 'unknown' });
    }),
  ];

  const countOutcomes = (changes: readonly LedgerChange[]) => {
    for (const c of changes) {
      const labels = outcomeLabels(c);
      if (labels) outcomes.inc({ account: c.key.accountId, ...labels });
    }
  };
  if (opts.ledger) offs.push(opts.ledger.onCommit(countOutcomes));

  const merged = Registry.merge([own, processMetrics()]);
  return {
    contentType: merged.contentType,
    render: () => merged.metrics(),
    stop() {
      for (const off of offs.splice(0)) off();
    },
  };
}

/** A committed move into a final state as `outcome` and bounded `reason` labels; null for other moves. */
export function outcomeLabels(c: Pick<LedgerChange, 'state' | 'reason'>): { outcome: string; reason: string } | null {
  switch (c.state) {
    case 'dropped':
      return { outcome: 'dropped', reason: boundedReason(c.reason ?? 'none', LEDGER_DROP_REASONS) };
    case 'gated':
      return { outcome: 'gated', reason: boundedReason(c.reason ?? 'none', GATED_REASONS) };
    case 'replied':
      return { outcome: 'replied', reason: c.reason === 'no-reply' ? 'no-reply' : 'none' };
    case 'failed':
    case 'pairing':
      return { outcome: c.state, reason: 'none' };
    default:
      return null;
  }
}
