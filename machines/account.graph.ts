/**
 * The account machine as a graph, read from its definition (not written by
 * hand): the leaf states (ACCOUNT_STATES) and, for each pair, the events that
 * lead from one to the other. The control page draws it with the current state
 * lit. A transition declared on a parent state (`online`) holds for each of its
 * children; a target that is a parent state resolves to its initial child; the
 * transitions every state has (declared at the root: LOGOUT, STOP) are listed
 * apart as `fromAnyState`.
 */
import type { AnyStateNode } from 'xstate';
import { createAccountMachine } from './account.machine.js';
import { ACCOUNT_STATES, type AccountStateValue } from './account.types.js';

export interface GraphEdge {
  from: AccountStateValue;
  to: AccountStateValue;
  /** Event names, sorted; a delay reads `after <delayName>`. */
  events: string[];
}

export interface MachineGraph {
  states: AccountStateValue[];
  edges: GraphEdge[];
  fromAnyState: { to: AccountStateValue; events: string[] }[];
}

/** `xstate.after.retryDelay.account.backing-off` → `after retryDelay`. */
function eventLabel(type: string): string {
  const m = /^xstate\.after\.([^.]+)\./.exec(type);
  return m ? `after ${m[1]}` : type;
}

function leafOf(node: AnyStateNode): AccountStateValue {
  let n = node;
  while (n.type === 'compound' && n.initial?.target?.[0]) n = n.initial.target[0];
  return n.key as AccountStateValue;
}

/** `node`'s own transitions (event label → targets), without those of its parents. */
function ownTransitions(node: AnyStateNode): [string, AnyStateNode[]][] {
  const out: [string, AnyStateNode[]][] = [];
  for (const [type, defs] of Object.entries(node.on)) {
    for (const d of defs as { target?: readonly AnyStateNode[] }[]) if (d.target?.length) out.push([eventLabel(type), [...d.target]]);
  }
  for (const d of node.after) if (d.target?.length) out.push([eventLabel(String(d.eventType)), [...d.target]]);
  return out;
}

export function accountMachineGraph(): MachineGraph {
  const machine = createAccountMachine({ now: () => 0, random: () => 0 });
  const leaves = new Set<string>(ACCOUNT_STATES);
  const edges = new Map<string, GraphEdge>();
  const add = (from: AccountStateValue, to: AccountStateValue, event: string) => {
    const key = `${from}→${to}`;
    const e = edges.get(key) ?? { from, to, events: [] };
    if (!e.events.includes(event)) e.events.push(event);
    edges.set(key, e);
  };
  // Each leaf's transitions: its own, then its parents' (below the root) for events
  // it does not handle itself — as xstate picks them.
  const walk = (node: AnyStateNode): AnyStateNode[] => [node, ...(Object.values(node.states) as AnyStateNode[]).flatMap(walk)];
  for (const leaf of walk(machine.root).filter((n) => leaves.has(n.key) && Object.keys(n.states).length === 0)) {
    const handled = new Set<string>();
    for (let n: AnyStateNode | undefined = leaf; n && n !== machine.root; n = n.parent) {
      const own = ownTransitions(n);
      for (const [event, targets] of own) {
        if (handled.has(event)) continue;
        for (const t of targets) add(leaf.key as AccountStateValue, leafOf(t), event);
      }
      for (const [event] of own) handled.add(event);
    }
  }
  const any = new Map<AccountStateValue, string[]>();
  for (const [event, targets] of ownTransitions(machine.root)) {
    for (const t of targets) any.set(leafOf(t), [...(any.get(leafOf(t)) ?? []), event]);
  }
  const sorted = [...edges.values()].map((e) => ({ ...e, events: e.events.sort() }));
  sorted.sort((a, b) => ACCOUNT_STATES.indexOf(a.from) - ACCOUNT_STATES.indexOf(b.from) || ACCOUNT_STATES.indexOf(a.to) - ACCOUNT_STATES.indexOf(b.to));
  return {
    states: [...ACCOUNT_STATES],
    edges: sorted,
    fromAnyState: [...any].map(([to, events]) => ({ to, events: events.sort() })),
  };
}
