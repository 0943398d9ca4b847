/**
 * Generated paths: a breadth-first walk over every event, close code and timer
 * proves each state reachable, lists the shortest path to each, and checks that
 * every transition the machine declares is taken somewhere.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { AnyStateNode, AnyTransitionDefinition, InspectionEvent } from 'xstate';
import { ACCOUNT_STATES, createAccountMachine } from '../../machines/index.js';
import { walk, type Root, type WalkResult } from './walk.js';

const ROOTS: Root[] = [
  { name: 'with creds', options: { hasCreds: true, reconnect: { maxAttempts: 2 } } },
  { name: 'without creds', options: { hasCreds: false, reconnect: { maxAttempts: 2 } } },
];

/** A stable name for a declared transition: source state, event, branch index. */
function transitionKey(t: AnyTransitionDefinition): string {
  const branches = t.source.transitions.get(t.eventType) ?? [];
  return `${t.source.id} ${t.eventType} #${branches.indexOf(t)}`;
}

function declaredTransitions(): string[] {
  const all = (n: AnyStateNode): AnyStateNode[] => [n, ...Object.values(n.states).flatMap(all)];
  const nodes = all(createAccountMachine().root);
  return nodes.flatMap((n) => [...n.transitions.values()].flat().map(transitionKey)).sort();
}

describe('generated paths through the account machine', () => {
  const taken = new Set<string>();
  const inspect = (ev: InspectionEvent): void => {
    if (ev.type === '@xstate.microstep') for (const t of ev._transitions) taken.add(transitionKey(t));
  };
  let result: WalkResult;
  let fresh: WalkResult;
  beforeAll(() => {
    result = walk(ROOTS, 7, { inspect });
    fresh = walk([ROOTS[1]!], 7);
  });

  const table = (r: WalkResult): Record<string, string> =>
    Object.fromEntries(ACCOUNT_STATES.map((s) => [s, (r.shortest.get(s) ?? []).join(' → ')]));

  it.each(ACCOUNT_STATES.map((s) => [s]))('reaches %s', (state) => {
    expect(result.shortest.get(state)).toBeDefined();
  });

  it('lists the shortest path to each state', () => {
    expect(table(result)).toEqual({
      unlinked: 'with creds',
      linking: 'with creds → LOGIN',
      connecting: 'with creds → START',
      connected: 'with creds → START → OPEN',
      'backing-off': 'with creds → START → CLOSE 408',
      'logged-out': 'with creds → START → CLOSE 401',
      degraded: 'with creds → START (creds unreadable)',
      stopped: 'with creds → STOP',
    });
  });

  it('lists the shortest path to each state for a fresh account (link first)', () => {
    expect(table(fresh)).toEqual({
      unlinked: 'without creds',
      linking: 'without creds → LOGIN',
      connecting: 'without creds → LOGIN → CLOSE 515',
      connected: 'without creds → LOGIN → OPEN',
      'backing-off': 'without creds → LOGIN → OPEN → CLOSE 408',
      'logged-out': 'without creds → LOGIN → CLOSE 401',
      degraded: 'without creds → START (creds unreadable)',
      stopped: 'without creds → STOP',
    });
  });

  it('takes every declared transition, every guarded branch included', () => {
    const declared = declaredTransitions();
    expect(declared.length).toBeGreaterThanOrEqual(25);
    expect(declared.filter((k) => !taken.has(k))).toEqual([]);
  });
});
