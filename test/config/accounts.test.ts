import { describe, expect, it } from 'vitest';
import {
  agentForAccount,
  compileMentionPatterns,
  defaultAccountId,
  resolveAccount,
  resolveAccounts,
  resolveAgents,
  validateConfig,
  type WagateConfig,
} from '../../src/config/index.js';
import { WagateError } from '../../src/errors.js';

const opts = { env: { WAGATE_HOME: '/s' }, homedir: '/home/ada' };
const cfg = (raw: unknown): WagateConfig => validateConfig(raw, '/x/wagate.json');

describe('accounts (SPEC §2)', () => {
  it('has one account "default" made of the root keys when there is no accounts map', () => {
    const c = cfg({ channels: { whatsapp: { dmPolicy: 'allowlist', allowFrom: ['+1555'] } } });
    const accounts = resolveAccounts(c, opts);
    expect(accounts.map((a) => a.accountId)).toEqual(['default']);
    expect(accounts[0]).toEqual({
      accountId: 'default',
      enabled: true,
      name: 'default',
      authDir: '/s/credentials/whatsapp/default',
      dmPolicy: 'allowlist',
      selfChatMode: false,
      allowFrom: ['+1555'],
      groupAllowFrom: ['+1555'],
      groupPolicy: 'allowlist',
      groups: undefined,
      historyLimit: 50,
      dmHistoryLimit: undefined,
      dms: {},
      mediaMaxMb: 50,
      ackReaction: { emoji: '', direct: true, group: 'mentions' },
      sendReadReceipts: true,
      textChunkLimit: 4000,
      chunkMode: 'length',
      messagePrefix: undefined,
      rejectCalls: false,
      rejectCallMessage: undefined,
      proxy: undefined,
      actions: { reactions: true },
    });
    expect(resolveAccounts(cfg({ channels: { whatsapp: { accounts: {} } } }), opts).map((a) => a.accountId)).toEqual([
      'default',
    ]);
  });

  it('proxy: the root one for every account, unless the account names its own', () => {
    const c = cfg({
      channels: {
        whatsapp: {
          proxy: 'socks5://u:p@127.0.0.1:1080',
          accounts: { personal: {}, work: { proxy: 'http://proxy.corp:3128' } },
        },
      },
    });
    const [personal, work] = resolveAccounts(c, opts);
    expect(personal!.proxy).toBe('socks5://u:p@127.0.0.1:1080');
    expect(work!.proxy).toBe('http://proxy.corp:3128');
  });

  it('merges accounts.<id>.* over the root, per key', () => {
    const c = cfg({
      channels: {
        whatsapp: {
          dmPolicy: 'allowlist',
          allowFrom: ['+1'],
          groups: { '*': { requireMention: true } },
          sendReadReceipts: true,
          ackReaction: { emoji: '👀', group: 'always' },
          textChunkLimit: 2000,
          accounts: {
            personal: { sendReadReceipts: false, name: 'Me', authDir: '~/wa-auth' },
            work: {
              dmPolicy: 'pairing',
              allowFrom: ['+2', '+3'],
              groups: { '123@g.us': {} },
              ackReaction: { group: 'never' },
              enabled: false,
              historyLimit: 0,
              actions: { reactions: false },
            },
          },
        },
      },
    });
    const [personal, work] = resolveAccounts(c, opts);
    expect(personal).toMatchObject({
      accountId: 'personal',
      name: 'Me',
      enabled: true,
      authDir: '/home/ada/wa-auth',
      dmPolicy: 'allowlist',
      allowFrom: ['+1'],
      sendReadReceipts: false,
      groups: { '*': { requireMention: true } },
      ackReaction: { emoji: '👀', direct: true, group: 'always' },
      textChunkLimit: 2000,
      actions: { reactions: true },
    });
    expect(work).toMatchObject({
      accountId: 'work',
      name: 'work',
      enabled: false,
      authDir: '/s/credentials/whatsapp/work',
      dmPolicy: 'pairing',
      allowFrom: ['+2', '+3'],
      groupAllowFrom: ['+2', '+3'],
      sendReadReceipts: true,
      groups: { '123@g.us': {} },
      ackReaction: { emoji: '👀', direct: true, group: 'never' },
      historyLimit: 0,
      textChunkLimit: 2000,
      actions: { reactions: false },
    });
  });

  it('resolves a relative authDir against the state dir', () => {
    const c = cfg({ channels: { whatsapp: { accounts: { a: { authDir: 'auth/a' } } } } });
    expect(resolveAccount(c, 'a', opts).authDir).toBe('/s/auth/a');
  });

  it('takes historyLimit from account, then root, then messages.groupChat, then 50', () => {
    const base = { messages: { groupChat: { historyLimit: 20 } } };
    expect(resolveAccount(cfg(base), undefined, opts).historyLimit).toBe(20);
    expect(resolveAccount(cfg({ ...base, channels: { whatsapp: { historyLimit: 30 } } }), undefined, opts).historyLimit).toBe(30);
    expect(
      resolveAccount(
        cfg({ ...base, channels: { whatsapp: { historyLimit: 30, accounts: { a: { historyLimit: 40 } } } } }),
        'a',
        opts,
      ).historyLimit,
    ).toBe(40);
  });

  it('lets groupAllowFrom fall back to the merged allowFrom only when unset', () => {
    const c = cfg({ channels: { whatsapp: { allowFrom: ['+1'], groupAllowFrom: ['+9'], accounts: { a: {} } } } });
    expect(resolveAccount(c, 'a', opts).groupAllowFrom).toEqual(['+9']);
  });

  it('picks "default" as the default account when present, else the first id in sorted order', () => {
    expect(defaultAccountId(cfg({}))).toBe('default');
    expect(defaultAccountId(cfg({ channels: { whatsapp: { accounts: { zed: {}, default: {}, alpha: {} } } } }))).toBe(
      'default',
    );
    const c = cfg({ channels: { whatsapp: { accounts: { zed: {}, beta: {}, alpha: {} } } } });
    expect(defaultAccountId(c)).toBe('alpha');
    expect(resolveAccount(c, undefined, opts).accountId).toBe('alpha');
    expect(resolveAccounts(c, opts).map((a) => a.accountId)).toEqual(['alpha', 'beta', 'zed']);
  });

  it('throws WAGATE_ERR_UNKNOWN_ACCOUNT naming the known ids', () => {
    const c = cfg({ channels: { whatsapp: { accounts: { work: {}, home: {} } } } });
    expect(() => resolveAccount(c, 'play', opts)).toThrow(
      new WagateError(
        'WAGATE_ERR_UNKNOWN_ACCOUNT',
        'No WhatsApp account "play" in the config; known accounts: "home", "work".',
      ),
    );
    try {
      resolveAccount(c, 'play', opts);
    } catch (err) {
      expect((err as WagateError).code).toBe('WAGATE_ERR_UNKNOWN_ACCOUNT');
    }
  });

  it('accepts dmPolicy "open" when the merged allowFrom has "*"', () => {
    const c = cfg({ channels: { whatsapp: { allowFrom: ['*'], accounts: { a: { dmPolicy: 'open' } } } } });
    expect(resolveAccount(c, 'a', opts).dmPolicy).toBe('open');
  });
});

describe('agents (SPEC §6, §9)', () => {
  it('has one implicit echo agent "main" when the list is empty', () => {
    const [agent, ...rest] = resolveAgents(cfg({}));
    expect(rest).toEqual([]);
    expect(agent).toMatchObject({ id: 'main', model: { provider: 'echo' }, mentionPatterns: [] });
    expect(agentForAccount(cfg({}), 'default').id).toBe('main');
  });

  it('fills agents from defaults and messages.groupChat, and merges heartbeat overrides', () => {
    const c = cfg({
      messages: { groupChat: { mentionPatterns: ['@?bot'] } },
      agents: {
        defaults: { heartbeat: { every: '30m', to: '+1555' } },
        list: [
          { id: 'a', identity: { name: 'Ada' }, heartbeat: { target: 'whatsapp' } },
          { id: 'b', groupChat: { mentionPatterns: ['hey b'] }, model: { provider: 'command', command: ['b'] } },
        ],
      },
      channels: { whatsapp: { accounts: { one: {}, two: {} } } },
      bindings: [{ accountId: 'two', agentId: 'b' }],
    });
    const [a, b] = resolveAgents(c);
    expect(a).toMatchObject({ id: 'a', identity: { name: 'Ada' }, mentionPatterns: ['@?bot'] });
    expect(a?.heartbeat).toMatchObject({ every: '30m', to: '+1555', target: 'whatsapp' });
    expect(b).toMatchObject({ mentionPatterns: ['hey b'], model: { provider: 'command', command: ['b'], timeoutMs: 120000 } });
    expect(agentForAccount(c, 'one').id).toBe('a');
    expect(agentForAccount(c, 'two').id).toBe('b');
  });

  it('compiles mention patterns case-insensitively', () => {
    const [re] = compileMentionPatterns(['@?wagate\\b']);
    expect(re?.test('hey @WAGATE!')).toBe(true);
  });
});
