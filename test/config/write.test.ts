import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  loadConfig,
  setConfigValue,
  unsetConfigValue,
  writeFileAtomic,
  type AtomicFs,
} from '../../src/config/index.js';
import { WagateError } from '../../src/errors.js';
import { tmpDir } from '../helpers/tmp.js';
import { configFile } from './config-file.js';

const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

describe('writeFileAtomic', () => {
  it('writes the content with mode 0600 and leaves no temp file', async () => {
    const dir = tmpDir('config');
    const file = path.join(dir, 'creds.json');
    await writeFileAtomic(file, '{"a":1}');
    expect(fs.readFileSync(file, 'utf8')).toBe('{"a":1}');
    expect(modeOf(file)).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual(['creds.json']);
  });

  it('replaces an existing file and narrows its mode to 0600', async () => {
    const dir = tmpDir('config');
    const file = path.join(dir, 'store.json');
    fs.writeFileSync(file, 'old', { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    await writeFileAtomic(file, Buffer.from('new'));
    expect(fs.readFileSync(file, 'utf8')).toBe('new');
    expect(modeOf(file)).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual(['store.json']);
  });

  it('honours another mode when asked', async () => {
    const file = path.join(tmpDir('config'), 'public.txt');
    await writeFileAtomic(file, 'x', 0o640);
    expect(modeOf(file)).toBe(0o640);
  });

  it('leaves the old file intact and removes the temp file when the rename fails', async () => {
    const dir = tmpDir('config');
    const file = path.join(dir, 'creds.json');
    fs.writeFileSync(file, 'good');
    let tempSeen = '';
    const failing: AtomicFs = {
      open: fs.promises.open,
      unlink: fs.promises.unlink,
      rename: async (from) => {
        tempSeen = String(from);
        expect(fs.readFileSync(tempSeen, 'utf8')).toBe('new');
        throw Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' });
      },
    };
    await expect(writeFileAtomic(file, 'new', 0o600, failing)).rejects.toThrow('EIO');
    expect(path.dirname(tempSeen)).toBe(dir);
    expect(fs.readFileSync(file, 'utf8')).toBe('good');
    expect(fs.readdirSync(dir)).toEqual(['creds.json']);
  });

  it('fails without touching anything when the directory does not exist', async () => {
    const dir = tmpDir('config');
    await expect(writeFileAtomic(path.join(dir, 'nope', 'f.json'), 'x')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('setConfigValue / unsetConfigValue', () => {
  it('sets a key, keeps the rest, validates and writes 0600', async () => {
    const file = configFile('{ channels: { whatsapp: { allowFrom: ["+1555"] } } }');
    const res = await setConfigValue(file, 'channels.whatsapp.dmPolicy', '"allowlist"');
    expect(res.config.channels.whatsapp.dmPolicy).toBe('allowlist');
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({
      channels: { whatsapp: { allowFrom: ['+1555'], dmPolicy: 'allowlist' } },
    });
    expect(modeOf(file)).toBe(0o600);
    expect(loadConfig({ path: file, env: {} }).config.channels.whatsapp.dmPolicy).toBe('allowlist');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['wagate.json']);
  });

  it('takes JSON5 values and a bare word as a string', async () => {
    const file = configFile('{}');
    await setConfigValue(file, 'channels.whatsapp.accounts.work.ackReaction', "{ emoji: '👀', group: 'always' }");
    await setConfigValue(file, 'channels.whatsapp.groups["123@g.us"].requireMention', 'false');
    await setConfigValue(file, 'channels.whatsapp.groupPolicy', 'open');
    await setConfigValue(file, 'web.reconnect.maxAttempts', '0');
    const { config } = loadConfig({ path: file, env: {} });
    expect(config.channels.whatsapp.accounts?.work?.ackReaction).toEqual({ emoji: '👀', group: 'always' });
    expect(config.channels.whatsapp.groups).toEqual({ '123@g.us': { requireMention: false } });
    expect(config.channels.whatsapp.groupPolicy).toBe('open');
    expect(config.web.reconnect.maxAttempts).toBe(0);
  });

  it('creates a missing config file (and its dir)', async () => {
    const file = path.join(tmpDir('config'), 'state', 'wagate.json');
    await setConfigValue(file, 'commands.config', 'true');
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ commands: { config: true } });
  });

  it('refuses an invalid value, changes nothing, and names the key', async () => {
    const text = '// keep me\n{ channels: { whatsapp: { allowFrom: ["+1555"] } } }';
    const file = configFile(text);
    await expect(setConfigValue(file, 'channels.whatsapp.dmPolicy', 'opne')).rejects.toThrow(
      new WagateError(
        'WAGATE_ERR_CONFIG',
        `Invalid config ${file}: channels.whatsapp.dmPolicy is "opne"; expected one of "pairing", "allowlist", "open", "disabled".`,
      ),
    );
    await expect(setConfigValue(file, 'channels.whatsapp.dmPolicy', '"open"')).rejects.toThrow(
      /channels\.whatsapp\.allowFrom is \["\+1555"\]; expected a list containing "\*"/,
    );
    await expect(setConfigValue(file, 'channels.whatsapp.dmPolcy', '"open"')).rejects.toThrow(
      /dmPolcy is not a known key; did you mean "dmPolicy"\?/,
    );
    await expect(setConfigValue(file, 'channels.whatsapp.allowFrom[0].x', 'true')).rejects.toThrow(
      `Invalid config ${file}: cannot set channels.whatsapp.allowFrom[0].x: channels.whatsapp.allowFrom[0] is not an object or a list.`,
    );
    await expect(setConfigValue(file, 'channels.whatsapp.allowFrom.x', 'true')).rejects.toThrow(
      `Invalid config ${file}: cannot set channels.whatsapp.allowFrom.x: channels.whatsapp.allowFrom is a list; use [index].`,
    );
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['wagate.json']);
  });

  it('refuses a bad key path and malformed JSON5', async () => {
    const file = configFile('{}');
    await expect(setConfigValue(file, 'web..enabled', 'true')).rejects.toMatchObject({
      code: 'WAGATE_ERR_CONFIG',
      message: `Invalid config ${file}: bad key path "web..enabled": empty key at 5.`,
    });
    await expect(setConfigValue(file, 'channels.whatsapp.allowFrom', '["+1555"')).rejects.toMatchObject({
      code: 'WAGATE_ERR_CONFIG',
      message: expect.stringMatching(/the value "\[\\"\+1555\\"" is not valid JSON5/),
    });
    await expect(setConfigValue(file, '__proto__.polluted', 'true')).rejects.toMatchObject({ code: 'WAGATE_ERR_CONFIG' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(fs.readFileSync(file, 'utf8')).toBe('{}');
  });

  it('unsets a key so its default applies again', async () => {
    const file = configFile('{ gateway: { port: 9999, bind: "127.0.0.2" } }');
    const res = await unsetConfigValue(file, 'gateway.port');
    expect(res.removed).toBe(true);
    expect(res.config.gateway.port).toBe(18789);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ gateway: { bind: '127.0.0.2' } });
    const again = await unsetConfigValue(file, 'gateway.port');
    expect(again.removed).toBe(false);
  });

  it('unsets a list item by index', async () => {
    const file = configFile('{ channels: { whatsapp: { allowFrom: ["+1", "+2", "+3"] } } }');
    await unsetConfigValue(file, 'channels.whatsapp.allowFrom[1]');
    expect(loadConfig({ path: file, env: {} }).config.channels.whatsapp.allowFrom).toEqual(['+1', '+3']);
  });

  it('refuses an unset that leaves the config invalid', async () => {
    const text = '{ channels: { whatsapp: { dmPolicy: "open", allowFrom: ["*"] } } }';
    const file = configFile(text);
    await expect(unsetConfigValue(file, 'channels.whatsapp.allowFrom')).rejects.toThrow(
      /channels\.whatsapp\.allowFrom is empty; expected a list containing "\*"/,
    );
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
  });

  it('serializes concurrent edits of one file (no lost update)', async () => {
    const file = configFile('{}');
    await Promise.all([
      setConfigValue(file, 'gateway.port', '1234'),
      setConfigValue(file, 'logging.level', 'debug'),
      setConfigValue(file, 'web.heartbeatSeconds', '15'),
    ]);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({
      gateway: { port: 1234 },
      logging: { level: 'debug' },
      web: { heartbeatSeconds: 15 },
    });
  });

  it('refuses to edit a config path that cannot be read, writing nothing', async () => {
    const dir = tmpDir('config');
    fs.writeFileSync(path.join(dir, 'file'), '');
    const file = path.join(dir, 'file', 'wagate.json');
    await expect(setConfigValue(file, 'commands.config', 'true')).rejects.toMatchObject({
      code: 'WAGATE_ERR_CONFIG',
      message: `Invalid config ${file}: cannot read it (ENOTDIR).`,
    });
    await expect(setConfigValue(dir, 'commands.config', 'true')).rejects.toMatchObject({
      message: `Invalid config ${dir}: it is a directory; expected a JSON5 file.`,
    });
    expect(fs.readdirSync(dir)).toEqual(['file']);
  });
});
