/**
 * The control methods on a cluster node (issue 16 item 3): any node's control port
 * serves the whole cluster. A carried method (`RELAYED`, src/cluster/relay.ts) about an
 * account another node runs goes to that node over the relay and its answer, errors and
 * events (the `agent` stream, the QR codes and pairing code of a link) come back to the
 * calling client; where it goes is src/cluster/route.ts. Two halves:
 *
 * - `clusterDispatcher` — the caller's side: the control server's dispatcher.
 * - `carriedCalls` — the owner's side: runs a request another node carried, as a local
 *   client's call. A carried `login.start` for an account no node holds takes its lease
 *   here first (the caller picked this node for its room), and the account's QR codes
 *   and pairing code go back to the caller until the link ends.
 */
import type { Bus } from '../bus/bus.js';
import type { LeaseKeeper } from '../cluster/lease-keeper.js';
import { clusterView, type ClusterView } from '../cluster/nodes-view.js';
import { RELAY_TIMEOUT_MS, RELAYED, type CarriedCall, type ControlRelay } from '../cluster/relay.js';
import { routeFor } from '../cluster/route.js';
import type { LeaseTable } from '../store/postgres-leases.js';
import { DEFAULT_LOGIN_TIMEOUT_MS } from './login-methods.js';
import type { MethodContext, MethodDispatcher } from './methods.js';

export interface ClusterDispatchOptions {
  methods: MethodDispatcher;
  /** Null until the node has started its leases and relay (then requests run here). */
  keeper(): LeaseKeeper | null;
  relay(): ControlRelay | null;
  leases: LeaseTable;
  /** Accounts running on this node. */
  runningHere(accountId: string): boolean;
  defaultAccountId: string;
  now: () => number;
  /** How often a carried request checks that its owner is still alive (default: a third of the lease, at most 5 s). */
  watchMs?: number;
}

const accountOf = (raw: unknown, fallback: string): string => {
  const asked = (raw as { accountId?: unknown } | null)?.accountId;
  return typeof asked === 'string' && asked.length > 0 ? asked : fallback;
};

/** The cluster as this node sees it now. */
export async function loadClusterView(keeper: LeaseKeeper, leases: LeaseTable, now: number): Promise<ClusterView> {
  const [nodes, rows] = await Promise.all([leases.nodes(), leases.list()]);
  return clusterView({ self: keeper.nodeId, leaseSeconds: keeper.leaseSeconds, now, nodes, leases: rows });
}

/** A carried request's timeout: a link waits as long as the CLI asked, the rest the relay's default. */
function timeoutFor(method: string, raw: unknown): number {
  if (method !== 'login.wait') return RELAY_TIMEOUT_MS;
  const asked = (raw as { timeoutMs?: unknown } | null)?.timeoutMs;
  return (typeof asked === 'number' && asked > 0 ? asked : DEFAULT_LOGIN_TIMEOUT_MS) + 15_000;
}

export function clusterDispatcher(opts: ClusterDispatchOptions): MethodDispatcher {
  const { methods, leases } = opts;
  return {
    names: () => methods.names(),
    describe: () => methods.describe(),
    call: async (name: string, raw: unknown, ctx: MethodContext) => {
      const keeper = opts.keeper();
      const relay = opts.relay();
      if (!RELAYED.has(name) || !keeper || !relay) return methods.call(name, raw, ctx);
      const accountId = accountOf(raw, opts.defaultAccountId);
      if (opts.runningHere(accountId)) return methods.call(name, raw, ctx);
      const route = routeFor({
        view: await loadClusterView(keeper, leases, opts.now()),
        now: opts.now(),
        accountId,
        runningHere: false,
        link: name === 'login.start',
        roomHere: keeper.hasRoom(),
      });
      switch (route.kind) {
        case 'refuse':
          throw route.error;
        case 'take-here':
          await keeper.takeNow(accountId);
          return methods.call(name, raw, ctx);
        case 'here':
          return methods.call(name, raw, ctx);
        case 'carry': {
          const nodeId = route.nodeId;
          return relay.request(nodeId, name, raw, {
            timeoutMs: timeoutFor(name, raw),
            onEvent: (event, payload) => ctx.emit(event, payload),
            signal: ctx.signal,
            watchMs: opts.watchMs ?? Math.min(5000, Math.max(200, Math.floor((keeper.leaseSeconds * 1000) / 3))),
            watch: async () => {
              const now = opts.now();
              const node = (await loadClusterView(keeper, leases, now)).nodes.find((n) => n.nodeId === nodeId);
              if (node?.live) return null;
              const silent = node && node.seenAt > 0 ? `no heartbeat for ${Math.ceil((now - node.seenAt) / 1000)} s` : 'it left the cluster';
              return `Node ${nodeId}, which runs account ${accountId}, stopped answering while ${name} was carried to it (${silent}). Its accounts move to another node when their leases expire (cluster.leaseSeconds); run the command again then.`;
            },
          });
        }
      }
    },
  };
}

export interface CarriedCallsOptions {
  methods: MethodDispatcher;
  keeper(): LeaseKeeper | null;
  runningHere(accountId: string): boolean;
  bus: Bus;
  defaultAccountId: string;
}

/** The owner's side: the relay's `call`. */
export function carriedCalls(opts: CarriedCallsOptions): (method: string, params: unknown, carried: CarriedCall) => Promise<unknown> {
  return async (method, params, carried) => {
    const ctx: MethodContext = { emit: carried.emit, signal: carried.signal };
    if (method === 'agent') {
      // The run's events follow the answer; the last one (ok or error) ends the stream.
      carried.keepStreaming();
      return opts.methods.call(method, params, {
        ...ctx,
        emit: (event, payload) => {
          carried.emit(event, payload);
          const status = (payload as { status?: unknown } | null)?.status;
          if (status === 'ok' || status === 'error') carried.end();
        },
      });
    }
    if (method !== 'login.start') return opts.methods.call(method, params, ctx);
    const accountId = accountOf(params, opts.defaultAccountId);
    // The caller picked this node to link an account no node holds: take it here.
    if (!opts.runningHere(accountId)) await opts.keeper()?.takeNow(accountId);
    // Linking starts synchronously in the call; its first QR comes from the network later,
    // so the forwarding that starts after the call misses none (and does not see the
    // `unlinked` of a link restarted the other way as its end).
    const started = (await opts.methods.call(method, params, ctx)) as { status?: string };
    if (started.status === 'linking') {
      carried.keepStreaming();
      forwardLinkEvents(opts.bus, accountId, carried);
    }
    return started;
  };
}

/** The account's QR codes and pairing code, to the caller, until the link ends (or times out, or the caller left). */
function forwardLinkEvents(bus: Bus, accountId: string, carried: CarriedCall): void {
  const offs: (() => void)[] = [];
  let done = false;
  const stop = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    carried.signal.removeEventListener('abort', stop);
    offs.forEach((off) => off());
    carried.end();
  };
  const timer = setTimeout(stop, DEFAULT_LOGIN_TIMEOUT_MS * 2);
  carried.signal.addEventListener('abort', stop, { once: true });
  offs.push(
    bus.on('account.qr.updated', (ev) => {
      if (ev.accountId === accountId) carried.emit('login.qr', ev);
    }),
    bus.on('account.pairing.code', (ev) => {
      if (ev.accountId === accountId) carried.emit('login.code', ev);
    }),
    bus.on('account.state.changed', (ev) => {
      if (ev.accountId === accountId && ['connected', 'unlinked', 'logged-out', 'degraded', 'stopped'].includes(ev.to)) stop();
    }),
  );
}
