/**
 * The running gateway as its parts see it (the control methods, status, the hello
 * snapshot): what `startGateway` (supervisor.ts) returns. Its own module, so the
 * method files do not import the supervisor that registers them.
 */
import type { Bus } from '../bus/bus.js';
import type { AccountConfig } from '../config/index.js';
import type { AccountRuntime } from './account-runtime.js';
import type { ActorRegistry } from './actor-registry.js';
import type { ControlServer } from './control-server.js';
import type { ControlRegistry } from './methods.js';
import type { Store } from '../store/port.js';
import type { LeaseInfo } from '../cluster/lease-keeper.js';
import type { ClusterView } from '../cluster/nodes-view.js';

export interface Gateway {
  readonly bus: Bus;
  readonly control: ControlServer;
  readonly accounts: ReadonlyMap<string, AccountRuntime>;
  /** Every configured account, enabled or not. */
  readonly configured: readonly AccountConfig[];
  readonly actors: ActorRegistry;
  readonly methods: ControlRegistry;
  readonly startedAt: number;
  /** The process's store (creds, keys, sent messages …). */
  readonly store: Store;
  stop(reason?: string): Promise<void>;
  /** Several nodes (`cluster`): every account's lease (owner node, token); null on a single node. */
  leases(): Promise<LeaseInfo[] | null>;
  /** Several nodes: every node and the accounts it holds (the control page's Nodes view); null on a single node. */
  clusterView(): Promise<ClusterView | null>;
  /** This node's `cluster.nodeId`; null on a single node. */
  readonly nodeId: string | null;
}

/** Per-account presence for the hello snapshot. */
export function presence(gw: Gateway): { accountId: string; state: string }[] {
  return gw.configured.map((acc) => ({
    accountId: acc.accountId,
    state: gw.accounts.get(acc.accountId)?.state ?? 'disabled',
  }));
}

export function health(gw: Gateway, now: () => number): { ok: boolean; uptimeMs: number; accounts: number; connected: number } {
  const runtimes = [...gw.accounts.values()];
  const connected = runtimes.filter((a) => a.state === 'connected').length;
  return { ok: runtimes.every((a) => a.state !== 'logged-out' && a.state !== 'degraded'), uptimeMs: now() - gw.startedAt, accounts: runtimes.length, connected };
}
