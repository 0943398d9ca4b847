import { describe, expect, it } from 'vitest';
import { ConfigSchema, type WagateConfigInput } from '../../src/config/index.js';
import { routeMessage } from '../../src/agents/routing.js';
import { dmHistoryLimitFor } from '../../src/agents/session-history.js';
import { historyOptions } from '../../src/agents/turn.js';

// What is resolved once per loaded config on every message's path (the agent of an
// account, session.idle, the dms limits) follows the config object it is given: a
// config loaded again (a restart, another gateway in the same process) is read afresh.
const cfg = (input: WagateConfigInput = {}) => ConfigSchema.parse(input);
const dm = { chatType: 'direct' as const, chatId: '+15551234567' };

describe('per-config caches on the message path', () => {
  it('routeMessage: the same config routes the same way again; another config object gets its own agent', () => {
    const first = cfg({ agents: { list: [{ id: 'first' }, { id: 'work' }] }, bindings: [{ accountId: 'default', agentId: 'work' }] });
    expect(routeMessage(first, 'default', dm).agentId).toBe('work');
    expect(routeMessage(first, 'default', dm).agentId).toBe('work');
    expect(routeMessage(first, 'other', dm).agentId).toBe('first');
    const second = cfg({ agents: { list: [{ id: 'first' }, { id: 'work' }] }, bindings: [{ accountId: 'default', agentId: 'first' }] });
    expect(routeMessage(second, 'default', dm)).toEqual({ agentId: 'first', sessionKey: 'agent:first:main' });
    expect(routeMessage(first, 'default', dm)).toEqual({ agentId: 'work', sessionKey: 'agent:work:main' });
  });

  it('historyOptions: session.idle is parsed per config object', () => {
    const now = 1_000_000;
    expect(historyOptions(cfg({ session: { idle: '5m' } }), undefined, dm, now)).toEqual({ userTurns: undefined, idleMs: 300_000, now });
    expect(historyOptions(cfg({ session: { idle: '1h' } }), undefined, dm, now)).toEqual({ userTurns: undefined, idleMs: 3_600_000, now });
    expect(historyOptions(cfg({}), undefined, dm, now)).toEqual({ userTurns: undefined });
  });

  it('dmHistoryLimitFor: any spelling of a listed number finds its limit (the first listed spelling wins); a new dms object is read afresh', () => {
    const account = {
      dmHistoryLimit: 10,
      dms: { '15551234567@s.whatsapp.net': { historyLimit: 3 }, '+1 (555) 123-4567': { historyLimit: 4 }, '+15550000002': {} },
    };
    expect(dmHistoryLimitFor(account, '+15551234567')).toBe(3);
    expect(dmHistoryLimitFor(account, '15551234567:2@s.whatsapp.net')).toBe(3);
    expect(dmHistoryLimitFor(account, '+1 (555) 123-4567')).toBe(4); // an exact key first
    expect(dmHistoryLimitFor(account, '+15550000002')).toBe(10); // listed without a limit
    expect(dmHistoryLimitFor(account, '+15557777777')).toBe(10);
    const reloaded = { dmHistoryLimit: 10, dms: { '+15551234567': { historyLimit: 7 } } };
    expect(dmHistoryLimitFor(reloaded, '15551234567@s.whatsapp.net')).toBe(7);
  });
});
