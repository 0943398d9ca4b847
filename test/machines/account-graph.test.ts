import { describe, expect, it } from 'vitest';
import { accountMachineGraph, ACCOUNT_STATES } from '../../machines/index.js';

describe('the account machine as a graph (machines/account.graph.ts)', () => {
  const g = accountMachineGraph();
  const edge = (from: string, to: string) => g.edges.find((e) => e.from === from && e.to === to)?.events;

  it('has every state, and the transitions of the definition', () => {
    expect(g.states).toEqual([...ACCOUNT_STATES]);
    expect(edge('unlinked', 'linking')).toEqual(['LOGIN']);
    expect(edge('unlinked', 'connecting')).toEqual(['START']);
    expect(edge('linking', 'connected')).toEqual(['OPEN']);
    expect(edge('backing-off', 'connecting')).toEqual(['after retryDelay']);
    expect(edge('degraded', 'connecting')).toEqual(['RECONNECT']);
    expect(edge('connected', 'backing-off')).toEqual(['CLOSE']);
    expect(g.fromAnyState).toEqual([
      { to: 'unlinked', events: ['LOGOUT'] },
      { to: 'stopped', events: ['STOP'] },
    ]);
  });

  it('a child that handles an event itself hides the parent transition for it (linking never backs off)', () => {
    expect(edge('linking', 'backing-off')).toBeUndefined();
    expect(edge('linking', 'unlinked')).toEqual(['CLOSE']);
    expect(g.edges.filter((e) => e.from === 'stopped')).toEqual([]);
  });
});
