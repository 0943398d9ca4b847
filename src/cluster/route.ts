/**
 * Where a control request about an account goes on a cluster node (issue 16 item 3):
 * here (the account runs here), carried to its owner (src/cluster/relay.ts), or refused
 * with an error that names the owner and says what to do. Pure: it reads the cluster
 * view (src/cluster/nodes-view.ts) the node just loaded.
 *
 * Linking (`login.start`) an account that no node holds (a new account, or one whose
 * owner died and whose lease expired) picks a node: this node, when it has room (below
 * its fair share and its capacity); else the live node with the most room; else none
 * (WAGATE_ERR_NO_CAPACITY).
 */
import { WagateError } from '../errors.js';
import type { ClusterView, NodeView } from './nodes-view.js';

export type Route = { kind: 'here' } | { kind: 'take-here' } | { kind: 'carry'; nodeId: string } | { kind: 'refuse'; error: WagateError };

export interface RouteInput {
  view: ClusterView;
  now: number;
  accountId: string;
  /** The account runs on this node. */
  runningHere: boolean;
  /** The request links the account (`login.start`): an account no node holds may be taken. */
  link: boolean;
  /** This node could take one more account now (LeaseKeeper.hasRoom). */
  roomHere: boolean;
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/** How many more accounts a live node may take: below its fair share and its capacity. */
export function roomOf(node: NodeView, view: ClusterView): number {
  if (!node.live) return 0;
  const live = view.nodes.filter((n) => n.live).length;
  const total = view.nodes.reduce((n, x) => n + x.accounts.length, 0) + view.unowned.length;
  const share = Math.ceil(total / Math.max(1, live));
  return Math.min(node.capacity, share) - node.accounts.length;
}

export function routeFor(input: RouteInput): Route {
  const { view, now, accountId } = input;
  if (input.runningHere) return { kind: 'here' };
  const owner = view.nodes.find((n) => n.accounts.some((a) => a.accountId === accountId));
  if (owner && !owner.here) {
    if (owner.live) return { kind: 'carry', nodeId: owner.nodeId };
    const lease = owner.accounts.find((a) => a.accountId === accountId)!;
    const silent = owner.seenAt > 0 ? `has not been heard from for ${seconds(now - owner.seenAt)} s` : 'has no heartbeat';
    return {
      kind: 'refuse',
      error: new WagateError(
        'WAGATE_ERR_NODE_UNREACHABLE',
        `Node ${owner.nodeId} runs account ${accountId} but ${silent} (dead, paused or cut off from the database). ` +
          `Its lease (token ${lease.token}) expires in ${seconds(lease.expiresAt - now)} s; then another node takes the account — ` +
          `run the command again then, or start node ${owner.nodeId} again.`,
      ),
    };
  }
  // Held here but not running (starting or stopping), or nobody holds it: run it here,
  // where the method says what is wrong — unless it is a link, which may take the account.
  if (owner || !input.link) return { kind: 'here' };
  if (input.roomHere) return { kind: 'take-here' };
  const best = view.nodes
    .filter((n) => !n.here && roomOf(n, view) > 0)
    .sort((a, b) => roomOf(b, view) - roomOf(a, view) || a.accounts.length - b.accounts.length || a.nodeId.localeCompare(b.nodeId))[0];
  if (best) return { kind: 'carry', nodeId: best.nodeId };
  const live = view.nodes.filter((n) => n.live).map((n) => `${n.nodeId} (${n.accounts.length}/${n.capacity})`);
  return {
    kind: 'refuse',
    error: new WagateError(
      'WAGATE_ERR_NO_CAPACITY',
      `No node has room to run account ${accountId}: every live node holds its share or its cluster.capacity (${live.join(', ') || 'no live node'}). ` +
        'Raise cluster.capacity or start another node, then link again.',
    ),
  };
}
