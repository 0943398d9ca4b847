/**
 * Where a control request goes on a cluster node (src/cluster/route.ts) and the
 * cluster view it reads (src/cluster/nodes-view.ts): pure functions over lease and
 * heartbeat rows.
 */
import { describe, expect, it } from 'vitest';
import { clusterView } from '../../src/cluster/nodes-view.js';
import { routeFor, type Route } from '../../src/cluster/route.js';
import type { LeaseRow, NodeRow } from '../../src/store/postgres-leases.js';

const NOW = 1_000_000;
const LEASE_S = 30;
const alive = (nodeId: string, capacity = 10): NodeRow => ({ nodeId, capacity, seenAt: NOW - 1000 });
const dead = (nodeId: string, capacity = 10): NodeRow => ({ nodeId, capacity, seenAt: NOW - 45_000 });
const held = (accountId: string, owner: string, token = 1, expiresIn = 20_000): LeaseRow => ({ accountId, owner, token, expiresAt: NOW + expiresIn });
const free = (accountId: string, token = 0): LeaseRow => ({ accountId, owner: null, token, expiresAt: 0 });

function route(nodes: NodeRow[], leases: LeaseRow[], accountId: string, o: { link?: boolean; roomHere?: boolean; runningHere?: boolean; self?: string } = {}): Route {
  const view = clusterView({ self: o.self ?? 'n1', leaseSeconds: LEASE_S, now: NOW, nodes, leases });
  return routeFor({ view, now: NOW, accountId, runningHere: o.runningHere ?? false, link: o.link ?? false, roomHere: o.roomHere ?? false });
}
const refusal = (r: Route) => (r.kind === 'refuse' ? { code: r.error.code, message: r.error.message } : null);

describe('the cluster view', () => {
  it('lists every node with its liveness and the unexpired leases it holds; free and expired leases are unowned', () => {
    const view = clusterView({
      self: 'n1',
      leaseSeconds: LEASE_S,
      now: NOW,
      nodes: [alive('n2', 5), alive('n1', 7), dead('n3')],
      leases: [held('a1', 'n1', 3), held('a2', 'n2', 4), held('a3', 'n3', 2, -1), free('a4', 6), held('a5', 'ghost', 9)],
    });
    expect(view.nodes.map((n) => [n.nodeId, n.live, n.here, n.capacity, n.accounts.map((a) => `${a.accountId}#${a.token}`)])).toEqual([
      ['ghost', false, false, 0, ['a5#9']],
      ['n1', true, true, 7, ['a1#3']],
      ['n2', true, false, 5, ['a2#4']],
      ['n3', false, false, 10, []],
    ]);
    expect(view.unowned).toEqual([
      { accountId: 'a3', token: 2, lastOwner: 'n3' },
      { accountId: 'a4', token: 6, lastOwner: null },
    ]);
  });
});

describe('routing a carried control request', () => {
  it('runs here what runs here; carries to a live owner', () => {
    expect(route([alive('n1'), alive('n2')], [held('a1', 'n2')], 'a1', { runningHere: true })).toEqual({ kind: 'here' });
    expect(route([alive('n1'), alive('n2')], [held('a1', 'n2')], 'a1')).toEqual({ kind: 'carry', nodeId: 'n2' });
  });

  it('refuses with WAGATE_ERR_NODE_UNREACHABLE naming a dead owner, how long it is silent and when its lease expires', () => {
    expect(refusal(route([alive('n1'), dead('n2')], [held('a1', 'n2', 4, 12_000)], 'a1'))).toEqual({
      code: 'WAGATE_ERR_NODE_UNREACHABLE',
      message: expect.stringMatching(/^Node n2 runs account a1 but has not been heard from for 45 s .*token 4\) expires in 12 s; then another node takes the account/),
    });
    // a link too: the account is held, not free
    expect(refusal(route([alive('n1'), dead('n2')], [held('a1', 'n2')], 'a1', { link: true, roomHere: true }))?.code).toBe('WAGATE_ERR_NODE_UNREACHABLE');
    // an owner with no heartbeat row at all
    expect(refusal(route([alive('n1')], [held('a1', 'gone')], 'a1'))?.message).toContain('Node gone runs account a1 but has no heartbeat');
  });

  it('a request about an account nobody holds runs here (its method says what is wrong), unless it links it', () => {
    expect(route([alive('n1'), alive('n2')], [free('a1')], 'a1')).toEqual({ kind: 'here' });
    expect(route([alive('n1'), alive('n2')], [], 'new')).toEqual({ kind: 'here' });
  });

  it('linking an account nobody holds: here when this node has room, else the live node with the most room, else WAGATE_ERR_NO_CAPACITY', () => {
    const nodes = [alive('n1', 1), alive('n2', 2), alive('n3', 3), dead('n4', 100)];
    const leases = [held('a1', 'n1'), held('a2', 'n2'), held('a3', 'n3'), free('new')];
    expect(route(nodes, leases, 'new', { link: true, roomHere: true })).toEqual({ kind: 'take-here' });
    // n1 is full (capacity 1); n2 and n3 have room 1 under their fair share (⌈4 / 3⌉ = 2), the dead n4 none: the least loaded, by id.
    expect(route(nodes, leases, 'new', { link: true })).toEqual({ kind: 'carry', nodeId: 'n2' });
    expect(route(nodes, [...leases, held('a4', 'n2')], 'new', { link: true })).toEqual({ kind: 'carry', nodeId: 'n3' });
    // an expired lease (its owner died) counts as nobody's
    expect(route(nodes, [held('a1', 'n1'), held('a2', 'n2'), held('a3', 'n3'), held('old', 'n4', 5, -1)], 'old', { link: true })).toEqual({ kind: 'carry', nodeId: 'n2' });
    const full = [alive('n1', 1), alive('n2', 1)];
    expect(refusal(route(full, [held('a1', 'n1'), held('a2', 'n2'), free('new')], 'new', { link: true }))).toEqual({
      code: 'WAGATE_ERR_NO_CAPACITY',
      message: expect.stringContaining('No node has room to run account new: every live node holds its share or its cluster.capacity (n1 (1/1), n2 (1/1))'),
    });
  });
});
