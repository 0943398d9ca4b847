import { describe, expect, it } from 'vitest';
import { parseTarget, resolveRunTarget } from '../../src/agents/control-run.js';
import { ConfigSchema, type WagateConfigInput } from '../../src/config/index.js';

const cfg = (input: WagateConfigInput = {}) => ConfigSchema.parse(input);
const accounts = new Map([['default', {}], ['biz', {}]]);

describe('parseTarget', () => {
  it.each([
    ['+15551234567', { chatJid: '15551234567@s.whatsapp.net', chatId: '+15551234567', chatType: 'direct' }],
    ['15551234567', { chatJid: '15551234567@s.whatsapp.net', chatId: '+15551234567', chatType: 'direct' }],
    ['15551234567:3@s.whatsapp.net', { chatJid: '15551234567@s.whatsapp.net', chatId: '+15551234567', chatType: 'direct' }],
    ['120363000000000001@g.us', { chatJid: '120363000000000001@g.us', chatId: '120363000000000001@g.us', chatType: 'group' }],
    ['123456789@lid', { chatJid: '123456789@lid', chatId: '123456789@lid', chatType: 'direct' }],
  ])('%s', (to, expected) => {
    expect(parseTarget(to)).toEqual(expected);
  });
  it.each(['', 'alice', '+1 555', 'x@example.com'])('rejects %j', (to) => {
    expect(() => parseTarget(to)).toThrow(expect.objectContaining({ code: 'WAGATE_ERR_BAD_REQUEST' }));
  });
});

describe('resolveRunTarget', () => {
  const agents = { list: [{ id: 'first' }, { id: 'work' }] };
  it('defaults: default account, its agent, the main session, no delivery', () => {
    expect(resolveRunTarget(cfg({ agents }), accounts, { message: 'hi' })).toEqual({
      accountId: 'default',
      agentId: 'first',
      sessionKey: 'agent:first:main',
      chatJid: null,
      chatType: 'direct',
      chatId: null,
    });
  });
  it('the bound agent of the account, a group target', () => {
    const c = cfg({ agents, bindings: [{ accountId: 'biz', agentId: 'work' }] });
    expect(resolveRunTarget(c, accounts, { message: 'hi', accountId: 'biz', to: '120363000000000001@g.us' })).toMatchObject({
      agentId: 'work',
      sessionKey: 'agent:work:whatsapp:group:120363000000000001@g.us',
      chatJid: '120363000000000001@g.us',
    });
  });
  it('an explicit agent', () => {
    expect(resolveRunTarget(cfg({ agents }), accounts, { message: 'hi', agentId: 'work', to: '+15550001111' }).sessionKey).toBe(
      'agent:work:main',
    );
  });
});
