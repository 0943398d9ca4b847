/**
 * The cluster as the operator sees it (issue 16 items 3–4): every node with a heartbeat
 * row, whether it is live (a heartbeat younger than `leaseSeconds`), its capacity, and
 * the accounts whose lease it holds (token, expiry); plus the accounts no node holds.
 * One pure function over the two tables (src/store/postgres-leases.ts), used by the
 * `cluster.nodes` control method (the control page's Nodes view) and by the routing of
 * carried requests (src/cluster/route.ts).
 */
import type { LeaseRow, NodeRow } from '../store/postgres-leases.js';

export interface NodeLeaseView {
  accountId: string;
  token: number;
  expiresAt: number;
}

export interface NodeView {
  nodeId: string;
  /** Heartbeat younger than `leaseSeconds`. */
  live: boolean;
  /** Its last heartbeat (ms since the epoch). */
  seenAt: number;
  capacity: number;
  /** True for the node that answered. */
  here: boolean;
  /** Accounts whose lease it holds and that have not expired, by account id. */
  accounts: NodeLeaseView[];
}

export interface ClusterView {
  nodeId: string;
  leaseSeconds: number;
  nodes: NodeView[];
  /** Accounts with no owner, or whose lease expired (their owner died or was cut off). */
  unowned: { accountId: string; token: number; lastOwner: string | null }[];
}

export function clusterView(input: {
  self: string;
  leaseSeconds: number;
  now: number;
  nodes: readonly NodeRow[];
  leases: readonly LeaseRow[];
}): ClusterView {
  const { self, now } = input;
  const leaseMs = input.leaseSeconds * 1000;
  const byNode = new Map<string, NodeView>();
  for (const n of input.nodes) {
    byNode.set(n.nodeId, { nodeId: n.nodeId, live: n.seenAt > now - leaseMs, seenAt: n.seenAt, capacity: n.capacity, here: n.nodeId === self, accounts: [] });
  }
  const unowned: ClusterView['unowned'] = [];
  for (const l of input.leases) {
    if (l.owner === null || l.expiresAt <= now) {
      unowned.push({ accountId: l.accountId, token: l.token, lastOwner: l.owner });
      continue;
    }
    let node = byNode.get(l.owner);
    // A lease whose owner has no heartbeat row (it stopped uncleanly between the two writes).
    if (!node) byNode.set(l.owner, (node = { nodeId: l.owner, live: false, seenAt: 0, capacity: 0, here: l.owner === self, accounts: [] }));
    node.accounts.push({ accountId: l.accountId, token: l.token, expiresAt: l.expiresAt });
  }
  const nodes = [...byNode.values()].sort((a, b) => a.nodeId.localeCompare(b.nodeId));
  return { nodeId: self, leaseSeconds: input.leaseSeconds, nodes, unowned };
}
