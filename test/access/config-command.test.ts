import fs from 'node:fs';
import path from 'node:path';
import JSON5 from 'json5';
import { describe, expect, it } from 'vitest';
import { configCommandFor, CONFIG_USAGE, parseConfigCommand, runConfigCommand, type ConfigCommandContext } from '../../src/access/config-command.js';
import { resolveAccounts, validateConfig } from '../../src/config/index.js';
import { ALICE, BOB, GROUP, SELF, SELF_E164, dm, gm, selfChat, tempStateDir } from './harness.js';

describe('parseConfigCommand', () => {
  it('parses set with a JSON5 value (the rest of the message, spaces and all)', () => {
    expect(parseConfigCommand('/config set channels.whatsapp.dmPolicy "allowlist"')).toEqual({
      op: 'set',
      path: 'channels.whatsapp.dmPolicy',
      value: '"allowlist"',
    });
    expect(parseConfigCommand('  /CONFIG  SET  a.b   [ "+1", "+2" ] ')).toEqual({ op: 'set', path: 'a.b', value: '[ "+1", "+2" ]' });
    expect(parseConfigCommand('/config set x {emoji: "👀",\n direct: true}')).toEqual({ op: 'set', path: 'x', value: '{emoji: "👀",\n direct: true}' });
  });

  it('keeps a bracketed key with spaces in the path', () => {
    expect(parseConfigCommand('/config set groups["a b"].requireMention false')).toEqual({
      op: 'set',
      path: 'groups["a b"].requireMention',
      value: 'false',
    });
  });

  it('parses unset', () => {
    expect(parseConfigCommand('/config unset channels.whatsapp.allowFrom')).toEqual({ op: 'unset', path: 'channels.whatsapp.allowFrom' });
  });

  it('turns phone smart quotes into ASCII quotes', () => {
    expect(parseConfigCommand('/config set a \u201Callowlist\u201D')).toEqual({ op: 'set', path: 'a', value: '"allowlist"' });
    expect(parseConfigCommand('/config set a \u2018x\u2019')).toEqual({ op: 'set', path: 'a', value: "'x'" });
  });

  it('answers usage for a /config with missing or wrong arguments', () => {
    for (const t of ['/config', '/config get a', '/config set', '/config set a.b', '/config unset', '/config unset a b']) {
      expect(parseConfigCommand(t), t).toEqual({ op: 'usage' });
    }
  });

  it('is null unless the whole message is the command', () => {
    for (const t of ['hello /config set a 1', '/configure set a 1', 'config set a 1', '', '/activation always']) {
      expect(parseConfigCommand(t), t).toBeNull();
    }
  });
});

describe('configCommandFor (where /config applies)', () => {
  const account = (wa: Record<string, unknown>) => {
    const dir = tempStateDir();
    const config = validateConfig({ channels: { whatsapp: wa } }, path.join(dir, 'wagate.json'));
    const [acc] = resolveAccounts(config, { env: { WAGATE_HOME: dir } });
    if (!acc) throw new Error('no account');
    return acc;
  };
  const cmd = '/config set a 1';

  it('applies to a DM from anyone (the owner check comes later) and the self-chat', () => {
    const acc = account({});
    expect(configCommandFor(acc, dm(BOB, cmd))?.op).toBe('set');
    expect(configCommandFor(acc, selfChat(cmd))?.op).toBe('set');
  });

  it('not to the owner typing in someone else\'s DM from the phone', () => {
    expect(configCommandFor(account({}), dm(BOB, cmd, { fromMe: true }))).toBeNull();
  });

  it('in groups only when the group policy lets the message in', () => {
    expect(configCommandFor(account({ groupPolicy: 'open' }), gm(ALICE, cmd))?.op).toBe('set');
    expect(configCommandFor(account({ groupPolicy: 'disabled' }), gm(ALICE, cmd))).toBeNull();
    expect(configCommandFor(account({ groupPolicy: 'open', groups: { 'other@g.us': {} } }), gm(ALICE, cmd))).toBeNull();
    expect(configCommandFor(account({ groupPolicy: 'open', groups: { [GROUP]: {} } }), gm(ALICE, cmd))?.op).toBe('set');
  });

  it('not for media captions or plain text', () => {
    expect(configCommandFor(account({}), dm(ALICE, cmd, { kind: 'media' }))).toBeNull();
    expect(configCommandFor(account({}), dm(ALICE, 'hi'))).toBeNull();
  });
});

describe('runConfigCommand', () => {
  function setup(fileText: string | null, extra: Record<string, unknown> = { commands: { config: true } }, wa: Record<string, unknown> = {}) {
    const dir = tempStateDir();
    const file = path.join(dir, 'wagate.json');
    if (fileText !== null) fs.writeFileSync(file, fileText, { mode: 0o644 });
    const config = validateConfig({ channels: { whatsapp: wa }, ...extra }, file);
    const [account] = resolveAccounts(config, { env: { WAGATE_HOME: dir } });
    if (!account) throw new Error('no account');
    const ctx: ConfigCommandContext = { file, config, account, identity: SELF };
    const read = () => fs.readFileSync(file, 'utf8');
    const owner = selfChat('x');
    return { file, ctx, read, owner };
  }
  const set = (p: string, value: string) => ({ op: 'set' as const, path: p, value });

  it('sets a value: file rewritten 0600, reply names old (default) and new value', async () => {
    const s = setup('{}');
    const out = await runConfigCommand(set('channels.whatsapp.dmPolicy', '"allowlist"'), s.owner, s.ctx);
    expect(out).toEqual({
      reason: 'config-command',
      changed: true,
      reply: 'Config: set channels.whatsapp.dmPolicy = "allowlist" (was "pairing"). Restart the gateway to apply it.',
    });
    expect(JSON5.parse(s.read())).toEqual({ channels: { whatsapp: { dmPolicy: 'allowlist' } } });
    expect(fs.statSync(s.file).mode & 0o777).toBe(0o600);
  });

  it('shows the value from the file as "was", and "not set" for a key with no value or default', async () => {
    const s = setup('{ channels: { whatsapp: { dmPolicy: "open", allowFrom: ["*"] } } }');
    const a = await runConfigCommand(set('channels.whatsapp.dmPolicy', 'allowlist'), s.owner, s.ctx);
    expect(a.reply).toContain('= "allowlist" (was "open")');
    const b = await runConfigCommand(set('channels.whatsapp.accounts.work.name', 'Work'), s.owner, s.ctx);
    expect(b.reply).toContain('= "Work" (was not set)');
  });

  it('takes JSON5 values: numbers, arrays, booleans, quoted and bare-word strings', async () => {
    const s = setup('{}');
    const cases: [string, string, unknown, string][] = [
      ['channels.whatsapp.historyLimit', '25', 25, '25'],
      ['channels.whatsapp.allowFrom', "['+15551230001', \"+15551230002\",]", ['+15551230001', '+15551230002'], '["+15551230001","+15551230002"]'],
      ['channels.whatsapp.sendReadReceipts', 'false', false, 'false'],
      ['channels.whatsapp.messagePrefix', "'[bot]'", '[bot]', '"[bot]"'],
      ['channels.whatsapp.groupPolicy', 'open', 'open', '"open"'],
    ];
    for (const [p, v, parsed, shown] of cases) {
      const out = await runConfigCommand(set(p, v), s.owner, s.ctx);
      expect(out.changed, `${p}: ${out.reply}`).toBe(true);
      expect(out.reply).toContain(`set ${p} = ${shown} (was `);
    }
    const wa = (JSON5.parse(s.read()) as { channels: { whatsapp: Record<string, unknown> } }).channels.whatsapp;
    for (const [p, , parsed] of cases) expect(wa[p.split('.').pop() as string]).toEqual(parsed);
  });

  it('an invalid value changes nothing and replies with the one-line error', async () => {
    const before = '{ channels: { whatsapp: { dmPolicy: "pairing" } } } // mine';
    const s = setup(before);
    const out = await runConfigCommand(set('channels.whatsapp.dmPolicy', 'sometimes'), s.owner, s.ctx);
    expect(out.changed).toBe(false);
    expect(out.reason).toBe('config-command');
    expect(out.reply).toMatch(/^Config not changed: Invalid config .*wagate\.json: channels\.whatsapp\.dmPolicy/);
    expect(out.reply).not.toContain('\n');
    expect(s.read()).toBe(before);
    expect(fs.statSync(s.file).mode & 0o777).toBe(0o644);
  });

  it('a value that is not JSON5 and not a bare word is refused, file unchanged', async () => {
    const s = setup('{}');
    const out = await runConfigCommand(set('channels.whatsapp.allowFrom', '["+1555'), s.owner, s.ctx);
    expect(out.reply).toMatch(/^Config not changed: .*not valid JSON5/);
    expect(s.read()).toBe('{}');
  });

  it('an unknown key or a bad path is refused, file unchanged', async () => {
    const s = setup('{}');
    const unknown = await runConfigCommand(set('channels.whatsapp.dmPolicyy', '"open"'), s.owner, s.ctx);
    expect(unknown.reply).toMatch(/^Config not changed: .*dmPolicyy/);
    const bad = await runConfigCommand(set('channels..whatsapp', '1'), s.owner, s.ctx);
    expect(bad.reply).toMatch(/^Config not changed: bad key path "channels\.\.whatsapp": empty key at 10\. Usage:/);
    const unclosed = await runConfigCommand({ op: 'unset', path: 'a[0' }, s.owner, s.ctx);
    expect(unclosed.reply).toMatch(/^Config not changed: bad key path/);
    expect(s.read()).toBe('{}');
  });

  it('unsets a key (its default applies again) and says when it was not set', async () => {
    const s = setup('{ channels: { whatsapp: { dmPolicy: "allowlist", historyLimit: 10 } } }');
    const out = await runConfigCommand({ op: 'unset', path: 'channels.whatsapp.dmPolicy' }, s.owner, s.ctx);
    expect(out).toEqual({
      reason: 'config-command',
      changed: true,
      reply: 'Config: unset channels.whatsapp.dmPolicy (was "allowlist"). Restart the gateway to apply it.',
    });
    expect(JSON5.parse(s.read())).toEqual({ channels: { whatsapp: { historyLimit: 10 } } });
    expect(fs.statSync(s.file).mode & 0o777).toBe(0o600);
    const again = await runConfigCommand({ op: 'unset', path: 'channels.whatsapp.dmPolicy' }, s.owner, s.ctx);
    expect(again).toEqual({ reason: 'config-command', changed: false, reply: 'Config: channels.whatsapp.dmPolicy is not set in the file; nothing changed.' });
  });

  it('refuses when commands.config is false (the default), file unchanged', async () => {
    const s = setup('{}', {});
    const out = await runConfigCommand(set('channels.whatsapp.dmPolicy', 'open'), s.owner, s.ctx);
    expect(out).toEqual({ reason: 'config-command', changed: false, reply: 'Config writes are off (commands.config is false).' });
    expect(s.read()).toBe('{}');
  });

  it('refuses when channels.whatsapp.configWrites is false', async () => {
    const s = setup('{}', { commands: { config: true } }, { configWrites: false });
    const out = await runConfigCommand({ op: 'unset', path: 'channels.whatsapp.dmPolicy' }, s.owner, s.ctx);
    expect(out.reply).toBe('Config writes are off (channels.whatsapp.configWrites is false).');
    expect(s.read()).toBe('{}');
  });

  it('owner = allowFrom when set; else the linked number; fromMe always; non-owners get no reply', async () => {
    const listed = setup('{}', { commands: { config: true } }, { allowFrom: [ALICE] });
    const cmd = set('channels.whatsapp.historyLimit', '5');
    expect((await runConfigCommand(cmd, dm(ALICE, 'x'), listed.ctx)).changed).toBe(true);
    expect(await runConfigCommand(cmd, dm(BOB, 'x'), listed.ctx)).toEqual({ reason: 'config-not-owner', reply: null, changed: false });
    expect((await runConfigCommand(cmd, dm(SELF_E164, 'x'), listed.ctx)).reason).toBe('config-not-owner');
    expect((await runConfigCommand(cmd, selfChat('x'), listed.ctx)).changed).toBe(true);

    const empty = setup('{}', { commands: { config: true } }, { allowFrom: ['*'] });
    expect((await runConfigCommand(cmd, dm(SELF_E164, 'x'), empty.ctx)).changed).toBe(true);
    expect((await runConfigCommand(cmd, dm(ALICE, 'x'), empty.ctx)).reason).toBe('config-not-owner');
    expect(empty.read()).toContain('"historyLimit": 5');
  });

  it('the usage reply, for the owner only', async () => {
    const s = setup('{}');
    expect((await runConfigCommand({ op: 'usage' }, s.owner, s.ctx)).reply).toBe(CONFIG_USAGE);
    expect((await runConfigCommand({ op: 'usage' }, dm(BOB, 'x'), s.ctx)).reply).toBeNull();
  });

  it('creates the file when there is none', async () => {
    const s = setup(null);
    const out = await runConfigCommand(set('channels.whatsapp.selfChatMode', 'true'), s.owner, s.ctx);
    expect(out.reply).toBe('Config: set channels.whatsapp.selfChatMode = true (was false). Restart the gateway to apply it.');
    expect(JSON5.parse(s.read())).toEqual({ channels: { whatsapp: { selfChatMode: true } } });
  });
});
