/**
 * The supervisor (`wagate gateway`): one account runtime per enabled account,
 * the bus, the actor registry and the control server. `stop()` shuts it all
 * down in order and leaves no listener, timer or socket behind.
 */
import path from 'node:path';
import type { Logger } from 'pino';

import { createBus, type Bus } from '../bus/bus.js';
import { defaultAccountId, resolveAccounts, type WagateConfig } from '../config/index.js';
import { subLogger } from '../log.js';
import type { TransportFactory } from '../ports/transport.js';
import type { Store } from '../store/port.js';
import { openStore, storeTarget } from '../store/open.js';
import type { PostgresStore } from '../store/postgres.js';
import { leaseLostError } from '../store/postgres-leases.js';
import { LeaseKeeper } from '../cluster/lease-keeper.js';
import { fencedTransport } from '../cluster/fenced-transport.js';
import { ControlRelay } from '../cluster/relay.js';
import { carriedCalls, clusterDispatcher, loadClusterView } from './cluster-dispatch.js';
import type { MethodDispatcher } from './methods.js';
import { AccountRuntime, type Clock } from './account-runtime.js';
import { ActorRegistry } from './actor-registry.js';
import { startControlServer, type ControlServer } from './control-server.js';
import { registerCoreMethods } from './core-methods.js';
import { registerLoginMethods } from './login-methods.js';
import { ConnectionHistory, recordConnectionHistory } from './connection-history.js';
import { catchUpStart } from '../access/policy/catch-up.js';
import { startConversation } from './conversation.js';
import { importSessionFiles } from '../agents/session-import.js';
import { WagateError } from '../errors.js';
import { importStateFiles } from '../state-import.js';
import { InboundLedger } from '../ledger/inbound-ledger.js';
import { registerLedgerMethods } from './ledger-methods.js';
import { longTimerClock } from '../timers.js';
import { createControlRegistry, type ControlRegistry } from './methods.js';
import { loadOrCreateToken } from './token.js';
import { startWebHeartbeat } from '../actors/web-heartbeat.js';
import { startWebReconnect } from '../actors/web-reconnect.js';
import { health, presence, type Gateway } from './gateway.js';
import { startOperatorRoutes, type OperatorRoutes } from './operator-routes.js';
import { registerPageMethods } from './page-methods.js';
import { pageRoutes } from './web-page.js';
import { createWebSessions } from './web-sessions.js';
import { STOP_BOUNDS, STOP_MARGIN_MS, StopPhases, type StopBounds } from './stop-phases.js';
import type { LogTap } from '../log-tap.js';

export type { Gateway } from './gateway.js';

export interface GatewayOptions {
  config: WagateConfig;
  configPath: string;
  stateDir: string;
  /** Environment for path resolution (WAGATE_HOME); default process.env. */
  env?: Record<string, string | undefined>;
  transport: TransportFactory;
  /**
   * The store; by default the gateway opens the configured one (`store`, `$WAGATE_STORE_URL`;
   * else `<stateDir>/wagate.db`) and closes it last in `stop()`. A store passed in is the caller's: the gateway does not close it.
   */
  store?: Store;
  logger: Logger;
  /** Override `gateway.port` (tests use 0). */
  port?: number;
  tickMs?: number;
  now?: () => number;
  random?: () => number;
  /** xstate clock for the account machines' delays (tests pass a SimulatedClock). */
  clock?: Clock;
  /** Timers for the drain on stop (`gateway.drainSeconds`); default real timers (src/timers.ts). */
  timers?: { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(id: unknown): void };
  /** The logger's in-memory tail (`logs.tail`, the control page's Logs view). */
  logTap?: LogTap;
  /** The stop's phase bounds and margin (stop-phases.ts); tests shorten them. */
  stopBounds?: Partial<StopBounds & { marginMs: number }>;
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const now = opts.now ?? Date.now;
  const log = subLogger(opts.logger, 'gateway');
  const bus = createBus(subLogger(opts.logger, 'bus'));
  const configured = resolveAccounts(opts.config, { env: opts.env });
  const accounts = new Map<string, AccountRuntime>();
  const actors = new ActorRegistry();
  const methods = createControlRegistry();
  const web = opts.config.web;
  // Several nodes on one PostgreSQL (`cluster`): accounts run where their lease is (src/cluster).
  const cluster = opts.config.cluster;
  let keeper: LeaseKeeper | null = null;
  let relay: ControlRelay | null = null;
  const target = opts.store ? null : storeTarget(opts.config.store, opts.stateDir, opts.env ?? process.env);
  if (cluster && (target ? target.kind : opts.store!.kind) !== 'postgres') {
    throw new WagateError(
      'WAGATE_ERR_CONFIG',
      'cluster is set but the store is SQLite: several nodes share one PostgreSQL; set store.url (or $WAGATE_STORE_URL) to it, or remove cluster.',
    );
  }
  if (cluster && !target) throw new WagateError('WAGATE_ERR_INTERNAL', 'cluster mode opens its own store (its writes are fenced).');
  // One store per process, opened before anything that reads it, closed after everything.
  const store =
    opts.store ??
    (await openStore(
      target!,
      cluster
        ? {
            fence: (q, accountId) => (keeper ? keeper.fence(q, accountId) : Promise.reject(leaseLostError(accountId, 'the node has not started its leases'))),
            // A node frozen mid-write must not keep a lease row locked past its lease.
            idleInTransactionTimeoutMs: cluster.leaseSeconds * 1000,
          }
        : {},
    ));
  const ownStore = !opts.store;
  log.info({ store: store.location, kind: store.kind }, 'store opened');
  // The access-side files of the file layout, once (each one then moved aside).
  await importStateFiles({ store, stateDir: opts.stateDir, log, now });

  subLogger(opts.logger, 'config').info(
    { file: opts.configPath, accounts: configured.map((a) => ({ accountId: a.accountId, enabled: a.enabled })) },
    'config loaded',
  );
  if (!web.enabled) log.warn('web.enabled is false: starting without any WhatsApp connection');
  const newRuntime = (accountId: string) =>
    new AccountRuntime({
      accountId,
      // On a cluster node nothing is sent for an account whose lease this node no longer holds.
      transport: cluster ? fencedTransport(opts.transport.create(accountId, { store }), () => keeper?.holds(accountId) ?? false) : opts.transport.create(accountId, { store }),
      bus,
      logger: subLogger(opts.logger, 'whatsapp', accountId),
      heartbeatSeconds: web.heartbeatSeconds,
      reconnect: web.reconnect,
      now,
      random: opts.random,
      clock: opts.clock,
    });
  const runnable = configured.filter((acc) => acc.enabled && web.enabled).map((acc) => acc.accountId);
  // In a cluster the lease keeper starts and stops the accounts (below); else all run here.
  if (!cluster) for (const id of runnable) accounts.set(id, newRuntime(id));

  const startedAt = now();
  let control: ControlServer | null = null;
  const gateway: Gateway = {
    bus,
    get control() {
      if (!control) throw new Error('control server not started');
      return control;
    },
    accounts,
    configured,
    actors,
    methods,
    startedAt,
    store,
    stop,
    leases: () => (keeper ? keeper.list() : Promise.resolve(null)),
    clusterView: () => (keeper ? loadClusterView(keeper, (store as PostgresStore).leases, now()) : Promise.resolve(null)),
    nodeId: cluster?.nodeId ?? null,
  };

  const history = await ConnectionHistory.load(
    store,
    configured.map((a) => a.accountId),
    (err) => log.warn({ err }, 'connection history read/write failed'),
  );
  let operator: OperatorRoutes | null = null;
  let ledger: InboundLedger | null = null;
  let stopLedgerEvents: () => void = () => undefined;
  // The control page's sign-in codes and sessions: in memory, gone with the process.
  const sessions = createWebSessions({ now });
  let stopping: Promise<void> | null = null;
  const timers = opts.timers ?? longTimerClock;
  /**
   * Let agent runs and replies in flight finish, for at most `ms` (on `timers`, the
   * injected clock in tests); whatever is still running then is abandoned by the
   * actors' stop (aborted, never marked done: the next start resumes it).
   */
  async function drain(ms: number): Promise<void> {
    const bound = new AbortController();
    let timer: unknown;
    const expired = new Promise<void>((resolve) => {
      timer = timers.setTimeout(() => {
        bound.abort();
        resolve();
      }, ms);
    });
    const started = now();
    await Promise.race([actors.drain(bound.signal), expired]);
    timers.clearTimeout(timer);
    if (bound.signal.aborted) log.warn({ drainMs: ms }, 'stopping with work still in flight (gateway.drainSeconds passed); it is left for the next start');
    else if (now() > started) log.info({ drainMs: now() - started }, 'work in flight finished');
    bound.abort();
  }
  function stop(reason = 'stop requested'): Promise<void> {
    stopping ??= (async () => {
      log.info({ reason }, 'gateway stopping');
      // Every phase is timed, logged and bounded (stop-phases.ts): the whole stop takes at
      // most gateway.drainSeconds plus STOP_MARGIN_MS, whatever hangs.
      const phases = new StopPhases(log, { ...STOP_BOUNDS, marginMs: STOP_MARGIN_MS, ...opts.stopBounds });
      keeper?.stop(); // no more accounts taken; renewals go on until the sockets are closed
      bus.emit('gateway.stopping', { accountId: null, reason, at: now() });
      // No new message is taken from here; what is in flight gets gateway.drainSeconds.
      const drainMs = opts.config.gateway.drainSeconds * 1000;
      await phases.run('drain', Infinity, () => drain(drainMs));
      phases.startMargin();
      await phases.run('actors', phases.bounds.actorsMs, () => actors.stopAll());
      // Messages Baileys still releases while the sockets close (already acknowledged to
      // WhatsApp) are only recorded in the inbound ledger: the next start handles them.
      const offLate = ledger
        ? bus.on('message.received', ({ accountId, message }) =>
            ledger!.arrive(accountId, message).then(
              () => undefined,
              (err: unknown) => log.error({ err, accountId, id: message.id }, 'could not record a message arriving during the stop'),
            ),
          )
        : () => undefined;
      // A clean stop is the last moment the connected accounts were known connected
      // (their sockets close below, before any close event could say so).
      for (const a of accounts.values()) if (a.state === 'connected') void history.seen(a.accountId, now());
      await phases.run('sockets', phases.bounds.socketsMs, () => Promise.all([...accounts.values()].map((a) => a.stop())));
      sessions.revokeAll();
      stopLedgerEvents();
      await phases.run('control server', phases.bounds.controlMs, () => control?.close());
      operator?.stop();
      await phases.run('bus handlers', phases.bounds.busMs, () => bus.idle());
      offLate();
      await phases.run('ledger', phases.bounds.writesMs, () => ledger?.flush());
      await phases.run('connection history', phases.bounds.writesMs, () => history.flush());
      bus.clear();
      await phases.run('relay', phases.bounds.controlMs, () => relay?.close());
      // The sockets are closed and the last writes done: hand the accounts over at once.
      await phases.run('leases', phases.bounds.writesMs, () =>
        keeper?.release().catch((err: unknown) => log.error({ err }, 'releasing the leases failed; they expire by themselves')),
      );
      if (ownStore) await phases.run('store', phases.bounds.storeMs, () => store.close().catch((err: unknown) => log.error({ err }, 'closing the store failed')));
      log.info({ ms: phases.elapsed(), phases: phases.done }, 'gateway stopped');
    })();
    return stopping;
  }

  try {
    actors.add(startWebHeartbeat({ bus, accounts, logger: opts.logger, intervalMs: web.heartbeatSeconds * 1000, now }));
    actors.add(startWebReconnect({ bus, logger: opts.logger }));
    recordConnectionHistory(bus, history);
    // Agent sessions kept as JSONL files before the store: imported once, files moved aside.
    const agentLog = subLogger(opts.logger, 'agent');
    await importSessionFiles({ store, config: opts.config, stateDir: opts.stateDir, log: agentLog, now }).catch((err: unknown) =>
      agentLog.error({ err }, 'could not import the old session files into the store; they stay where they are'),
    );
    const byId = new Map(configured.map((a) => [a.accountId, a]));
    ledger = new InboundLedger(store, { now });
    const runtime = (id: string) => {
      const rt = accounts.get(id);
      if (!rt) throw new WagateError('WAGATE_ERR_NO_LISTENER', `No active WhatsApp listener for account ${id} (not running); enable it and start the gateway.`);
      return rt;
    };
    startConversation(
      {
        bus,
        config: opts.config,
        accounts: byId,
        stateDir: opts.stateDir,
        store,
        ledger,
        configPath: opts.configPath,
        logger: opts.logger,
        now,
        connection: (id) => runtime(id).activeConnection(),
        identity: (id) => accounts.get(id)?.context.identity ?? null,
        leased: Boolean(cluster),
        catchUpStart: (id) =>
          catchUpStart({
            linkedAt: history.linkedAt(id),
            lastCloseThisRun: accounts.get(id)?.context.lastClose?.at ?? null,
            previousRunLastConnected: history.previousRunLastConnected(id),
            firstOpenThisRun: accounts.get(id)?.context.firstConnectedAt ?? null,
          }),
      },
      actors,
      methods,
    );
    registerCoreMethods(methods, gateway, { now });
    registerLedgerMethods(methods, ledger, () => new Set(accounts.keys()));
    registerLoginMethods(methods, gateway);
    operator = startOperatorRoutes({
      bus,
      config: opts.config,
      accounts,
      stateDir: opts.stateDir,
      store,
      // Subscribed in the same synchronous run as startConversation above, so before
      // the resume's first move (`dropped(expired)`) commits: every outcome is counted.
      ledger,
      now,
      logger: subLogger(opts.logger, 'control'),
    });
    const token = await loadOrCreateToken(opts.stateDir, opts.config.gateway.auth.token);
    registerPageMethods(methods, gateway, {
      configPath: opts.configPath,
      env: opts.env ?? process.env,
      bind: opts.config.gateway.bind,
      sessions,
      logTap: opts.logTap ?? null,
      now,
    });
    const routes = new Map([...operator.routes, ...pageRoutes({
        sessions,
        token,
        uploadDir: path.join(opts.stateDir, 'uploads'),
        maxUploadBytes: opts.config.channels.whatsapp.mediaMaxMb * 1024 * 1024,
        now,
      })]);
    // A cluster node carries the methods about an account another node runs to that node
    // (src/gateway/cluster-dispatch.ts, src/cluster/relay.ts).
    const dispatcher: MethodDispatcher = cluster
      ? clusterDispatcher({
          methods,
          keeper: () => keeper,
          relay: () => relay,
          leases: (store as PostgresStore).leases,
          runningHere: (id) => accounts.has(id),
          defaultAccountId: defaultAccountId(opts.config),
          now,
        })
      : methods;
    control = await startControlServer({
      host: opts.config.gateway.bind,
      port: opts.port ?? opts.config.gateway.port,
      token,
      tokenConfigured: Boolean(opts.config.gateway.auth.token),
      allowedOrigins: opts.config.gateway.allowedOrigins,
      methods: dispatcher,
      snapshot: () => ({ presence: presence(gateway), health: health(gateway, now) }),
      logger: subLogger(opts.logger, 'control'),
      routes,
      sessions,
      tickMs: opts.tickMs,
      now,
    });
    const ctl = control;
    bus.on('account.state.changed', (ev) => ctl.broadcast('account', ev));
    // The only source of `login.qr`: `login.start` does not stream its own copy.
    bus.on('account.qr.updated', (ev) => ctl.broadcast('login.qr', ev));
    bus.on('account.pairing.code', (ev) => ctl.broadcast('login.code', ev));
    // The control page's Messages view refreshes on it: one event per committed ledger batch.
    stopLedgerEvents = ledger.onCommit((changes) =>
      ctl.broadcast('messages', { accountIds: [...new Set(changes.map((c) => c.key.accountId))], count: changes.length, at: now() }),
    );
    // One account's trouble (unreadable creds…) is that account's state, never the gateway's.
    await Promise.all([...accounts.values()].map((a) => a.start()));
    if (cluster) {
      keeper = new LeaseKeeper({
        nodeId: cluster.nodeId,
        capacity: cluster.capacity,
        leaseSeconds: cluster.leaseSeconds,
        leases: (store as PostgresStore).leases,
        accounts: runnable,
        startAccount: async (id) => {
          if (stopping || accounts.has(id)) return;
          // The catch-up window of an account taken over counts from when its previous owner
          // last had it connected (read now, not at this node's start): a message WhatsApp
          // kept for it meanwhile is answered here, not dropped as older than this connection.
          await history.reload(id);
          if (stopping || accounts.has(id)) return;
          const rt = newRuntime(id);
          accounts.set(id, rt);
          // Before the account starts: the access policy queues its unfinished ledger entries first.
          bus.emit('account.lease.taken', { accountId: id, token: keeper?.holding().get(id) ?? 0, at: now() });
          await rt.start();
        },
        stopAccount: async (id, reason) => {
          const rt = accounts.get(id);
          if (!rt) return;
          accounts.delete(id);
          bus.emit('account.lease.ended', { accountId: id, reason, at: now() });
          await rt.stop();
        },
        busy: (id) => accounts.get(id)?.state === 'linking',
        logger: subLogger(opts.logger, 'cluster'),
        now,
        random: opts.random,
      });
      await keeper.start();
      relay = await ControlRelay.start({
        url: (target as { url: string }).url,
        nodeId: cluster.nodeId,
        call: carriedCalls({ methods, keeper: () => keeper, runningHere: (id) => accounts.has(id), bus, defaultAccountId: defaultAccountId(opts.config) }),
        logger: subLogger(opts.logger, 'cluster'),
      });
      log.info({ nodeId: cluster.nodeId, accounts: [...keeper.holding().keys()] }, 'cluster node started');
    }
    bus.emit('gateway.started', { accountId: null, port: ctl.port, at: now() });
    log.info({ port: ctl.port, accounts: [...accounts.keys()] }, 'gateway started');
    return gateway;
  } catch (err) {
    await stop('start failed');
    throw err;
  }
}
