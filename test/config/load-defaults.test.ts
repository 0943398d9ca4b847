import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HEARTBEAT_PROMPT, loadConfig, WHATSAPP_WEB_URL } from '../../src/config/index.js';
import { tmpDir } from '../helpers/tmp.js';
import { configFile } from './config-file.js';

describe('loading', () => {
  it('takes a missing file as all SPEC §11 defaults', () => {
    const home = tmpDir('config');
    const loaded = loadConfig({ env: { WAGATE_HOME: path.join(home, 'state') }, homedir: home });
    expect(loaded.exists).toBe(false);
    expect(loaded.path).toBe(path.join(home, 'state', 'wagate.json'));
    const c = loaded.config;
    const wa = c.channels.whatsapp;
    expect(wa.dmPolicy).toBe('pairing');
    expect(wa.selfChatMode).toBe(false);
    expect(wa.allowFrom).toEqual([]);
    expect(wa.groupPolicy).toBe('allowlist');
    expect(wa.mediaMaxMb).toBe(50);
    expect(wa.sendReadReceipts).toBe(true);
    expect(wa.textChunkLimit).toBe(4000);
    expect(wa.chunkMode).toBe('length');
    expect(wa.actions.reactions).toBe(true);
    expect(wa.configWrites).toBe(true);
    expect(wa.rejectCalls).toBe(false);
    expect(wa.rejectCallMessage).toBeUndefined();
    expect(wa.ackReaction).toEqual({ direct: true, group: 'mentions' });
    expect(c.agents.defaults.mediaMaxMb).toBe(5);
    expect(c.agents.defaults.heartbeat).toEqual({ target: 'last', prompt: HEARTBEAT_PROMPT });
    expect(c.agents.list).toEqual([]);
    expect(c.bindings).toEqual([]);
    expect(c.session).toEqual({ scope: 'main', mainKey: 'main' });
    expect(c.commands.config).toBe(false);
    expect(c.web).toEqual({
      enabled: true,
      url: WHATSAPP_WEB_URL,
      heartbeatSeconds: 60,
      catchUpMinutes: 30,
      deviceName: 'wagate',
      ledger: { retentionDays: 7 },
      // web.version absent: the current version is fetched from here.
      versionUrl: 'https://web.whatsapp.com/sw.js',
      reconnect: { initialMs: 2000, maxMs: 30000, factor: 1.8, jitter: 0.25, maxAttempts: 12 },
    });
    expect(WHATSAPP_WEB_URL).toBe('wss://web.whatsapp.com/ws/chat');
    expect(c.gateway).toEqual({ bind: '127.0.0.1', port: 18789, drainSeconds: 5, auth: {}, allowedOrigins: [] });
    expect(c.logging).toEqual({ level: 'info' });
  });

  it('parses JSON5 (comments, trailing commas, unquoted keys) and fills the gaps with defaults', () => {
    const file = configFile(`// my gateway
      {
        channels: { whatsapp: { dmPolicy: 'allowlist', allowFrom: ['+15551234567',], } },
        web: { reconnect: { maxAttempts: 0 } }, /* unlimited */
      }`);
    const { config, exists, path: p } = loadConfig({ path: file, env: {} });
    expect(exists).toBe(true);
    expect(p).toBe(file);
    expect(config.channels.whatsapp.dmPolicy).toBe('allowlist');
    expect(config.channels.whatsapp.allowFrom).toEqual(['+15551234567']);
    expect(config.web.reconnect).toEqual({ initialMs: 2000, maxMs: 30000, factor: 1.8, jitter: 0.25, maxAttempts: 0 });
    expect(config.gateway.port).toBe(18789);
  });

  it('clamps reconnect factor and jitter instead of rejecting them (SPEC §3)', () => {
    const file = configFile('{ web: { reconnect: { factor: 50, jitter: -1 } } }');
    expect(loadConfig({ path: file, env: {} }).config.web.reconnect).toMatchObject({ factor: 10, jitter: 0 });
    const low = configFile('{ web: { reconnect: { factor: 1, jitter: 3 } } }');
    expect(loadConfig({ path: low, env: {} }).config.web.reconnect).toMatchObject({ factor: 1.1, jitter: 1 });
  });

  it('finds the file through WAGATE_CONFIG, and an explicit path wins over it', () => {
    const a = configFile('{ gateway: { port: 1111 } }');
    const b = configFile('{ gateway: { port: 2222 } }');
    expect(loadConfig({ env: { WAGATE_CONFIG: a } }).config.gateway.port).toBe(1111);
    expect(loadConfig({ path: b, env: { WAGATE_CONFIG: a } }).config.gateway.port).toBe(2222);
  });

  it('accepts a UTF-8 BOM and a $schema key', () => {
    const file = configFile('\uFEFF{ "$schema": "./wagate.schema.json", "logging": { "level": "debug" } }');
    expect(loadConfig({ path: file, env: {} }).config.logging.level).toBe('debug');
  });

  it('accepts every model provider shape', () => {
    const file = configFile(`{
      agents: {
        defaults: { model: { provider: 'command', command: ['my-agent', '--fast'] } },
        list: [
          { id: 'echoer', model: { provider: 'echo' } },
          { id: 'gpt', identity: { name: 'Gipity' },
            model: { provider: 'openai', baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3', apiKeyEnv: 'OLLAMA_KEY' } },
          { id: 'cmd' },
        ],
      },
    }`);
    const { config } = loadConfig({ path: file, env: {} });
    expect(config.agents.defaults.model).toEqual({ provider: 'command', command: ['my-agent', '--fast'], timeoutMs: 120000 });
    expect(config.agents.list[1]?.model).toEqual({
      provider: 'openai',
      baseUrl: 'http://127.0.0.1:11434/v1',
      model: 'llama3',
      apiKeyEnv: 'OLLAMA_KEY',
      timeoutMs: 120000,
    });
  });

  it('does not create anything when the file is missing', () => {
    const home = tmpDir('config');
    loadConfig({ env: { WAGATE_HOME: path.join(home, 'state') }, homedir: home });
    expect(fs.readdirSync(home)).toEqual([]);
  });
});
