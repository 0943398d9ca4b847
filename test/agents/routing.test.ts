import { describe, expect, it } from 'vitest';
import { ConfigSchema, type WagateConfigInput } from '../../src/config/index.js';
import { isGroupSessionKey, mainSessionKey, routeMessage } from '../../src/agents/routing.js';

const cfg = (input: WagateConfigInput = {}) => ConfigSchema.parse(input);
const dm = { chatType: 'direct' as const, chatId: '+15551234567' };
const group = { chatType: 'group' as const, chatId: '120363000000000001@g.us' };
const agents = { list: [{ id: 'first' }, { id: 'work' }] };

describe('routeMessage', () => {
  it.each([
    ['implicit agent, DM → main session', {}, 'default', dm, 'main', 'agent:main:main'],
    ['implicit agent, group', {}, 'default', group, 'main', 'agent:main:whatsapp:group:120363000000000001@g.us'],
    ['custom mainKey', { session: { mainKey: 'home' } }, 'default', dm, 'main', 'agent:main:home'],
    [
      'per-sender DMs',
      { session: { scope: 'per-sender' } },
      'default',
      dm,
      'main',
      'agent:main:whatsapp:dm:+15551234567',
    ],
    [
      'per-sender LID sender',
      { session: { scope: 'per-sender' } },
      'default',
      { chatType: 'direct' as const, chatId: '123456789@lid' },
      'main',
      'agent:main:whatsapp:dm:123456789@lid',
    ],
    ['per-sender does not change groups', { session: { scope: 'per-sender' } }, 'default', group, 'main', 'agent:main:whatsapp:group:120363000000000001@g.us'],
    ['unbound account → first agent', { agents }, 'default', dm, 'first', 'agent:first:main'],
    ['bound account', { agents, bindings: [{ accountId: 'biz', agentId: 'work' }] }, 'biz', dm, 'work', 'agent:work:main'],
    [
      'bound account, group',
      { agents, bindings: [{ accountId: 'biz', agentId: 'work' }] },
      'biz',
      group,
      'work',
      'agent:work:whatsapp:group:120363000000000001@g.us',
    ],
    ['binding to an unknown agent falls back to the first', { agents, bindings: [{ accountId: 'biz', agentId: 'nope' }] }, 'biz', dm, 'first', 'agent:first:main'],
  ] as const)('%s', (_name, input, accountId, msg, agentId, sessionKey) => {
    expect(routeMessage(cfg(input as WagateConfigInput), accountId, msg)).toEqual({ agentId, sessionKey });
  });

  it('mainSessionKey and isGroupSessionKey agree with the routes', () => {
    const c = cfg({ agents });
    expect(mainSessionKey(c, 'work')).toBe('agent:work:main');
    expect(isGroupSessionKey(routeMessage(c, 'default', group).sessionKey)).toBe(true);
    expect(isGroupSessionKey(routeMessage(c, 'default', dm).sessionKey)).toBe(false);
  });
});
