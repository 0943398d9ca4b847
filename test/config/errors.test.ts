import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { MAX_CONFIG_BYTES } from '../../src/config/load.js';

const LOAD_TS = fileURLToPath(new URL('../../src/config/load.ts', import.meta.url));
import { WagateError } from '../../src/errors.js';
import { tmpDir } from '../helpers/tmp.js';
import { configFile } from './config-file.js';

/** Load a config text and return the error it must throw. */
function errorOf(text: string): { file: string; err: WagateError } {
  const file = configFile(text);
  try {
    loadConfig({ path: file, env: {} });
  } catch (err) {
    expect(err).toBeInstanceOf(WagateError);
    expect((err as WagateError).code).toBe('WAGATE_ERR_CONFIG');
    return { file, err: err as WagateError };
  }
  throw new Error(`expected ${text} to be rejected`);
}

function messageOf(text: string): string {
  const { file, err } = errorOf(text);
  expect(err.message.startsWith(`Invalid config ${file}: `)).toBe(true);
  expect(err.message).not.toContain('\n');
  return err.message.slice(`Invalid config ${file}: `.length);
}

describe('a bad config stops with one message naming the file, key path, found and expected', () => {
  it('reports a JSON5 syntax error with its line and column', () => {
    expect(messageOf('{\n  channels: {\n    whatsapp: { dmPolicy: "pairing" ]\n  }\n}')).toBe(
      "JSON5 syntax error at line 3, column 37: invalid character ']'.",
    );
  });

  it('rejects an empty file instead of taking it as defaults', () => {
    expect(messageOf('  \n')).toBe('the file is empty; expected a JSON5 object such as {}.');
  });

  it('names a wrong type', () => {
    expect(messageOf('{ channels: { whatsapp: { selfChatMode: "yes" } } }')).toBe(
      'channels.whatsapp.selfChatMode is "yes"; expected true or false.',
    );
  });

  it('names a bad enum value and lists the allowed ones', () => {
    expect(messageOf('{ channels: { whatsapp: { dmPolicy: "opne" } } }')).toBe(
      'channels.whatsapp.dmPolicy is "opne"; expected one of "pairing", "allowlist", "open", "disabled".',
    );
  });

  it('requires "*" in allowFrom for dmPolicy "open" (root)', () => {
    expect(messageOf('{ channels: { whatsapp: { dmPolicy: "open", allowFrom: ["+15551234567"] } } }')).toBe(
      'channels.whatsapp.allowFrom is ["+15551234567"]; expected a list containing "*", because ' +
        'channels.whatsapp.dmPolicy is "open" (or use dmPolicy "allowlist").',
    );
  });

  it('requires "*" in the merged allowFrom for an account with dmPolicy "open"', () => {
    const msg = messageOf(
      '{ channels: { whatsapp: { allowFrom: ["*"], accounts: { ok: { dmPolicy: "open" }, ' +
        'work: { dmPolicy: "open", allowFrom: ["+1555"] } } } } }',
    );
    expect(msg).toBe(
      'channels.whatsapp.accounts.work.allowFrom is ["+1555"]; expected a list containing "*", because ' +
        'channels.whatsapp.accounts.work.dmPolicy is "open" (or use dmPolicy "allowlist").',
    );
  });

  it('rejects a negative limit', () => {
    expect(messageOf('{ channels: { whatsapp: { historyLimit: -1 } } }')).toBe(
      'channels.whatsapp.historyLimit is -1; expected an integer ≥ 0.',
    );
  });

  it('rejects textChunkLimit 0 and a non-positive mediaMaxMb', () => {
    expect(messageOf('{ channels: { whatsapp: { textChunkLimit: 0 } } }')).toBe(
      'channels.whatsapp.textChunkLimit is 0; expected an integer ≥ 1.',
    );
    expect(messageOf('{ agents: { defaults: { mediaMaxMb: 0 } } }')).toBe(
      'agents.defaults.mediaMaxMb is 0; expected a number > 0.',
    );
  });

  it('rejects a proxy of another scheme, naming the key and the accepted schemes, never its credentials', () => {
    const msg = messageOf('{ channels: { whatsapp: { accounts: { work: { proxy: "ftp://joe:hunter2@proxy:21" } } } } }');
    expect(msg).toBe(
      'channels.whatsapp.accounts.work.proxy is a value not shown here (the key name says it is a secret); expected a proxy URL: http://, https:// or socks5:// (with optional user:password@), host and port.',
    );
    expect(messageOf('{ channels: { whatsapp: { proxy: "127.0.0.1:8080" } } }')).toContain('channels.whatsapp.proxy is');
  });

  it('rejects an unknown key in a known section and suggests the near one', () => {
    expect(messageOf('{ channels: { whatsapp: { sendReadReciepts: false } } }')).toBe(
      'channels.whatsapp.sendReadReciepts is not a known key; did you mean "sendReadReceipts"?',
    );
  });

  it('lists the known keys when nothing is near', () => {
    expect(messageOf('{ gateway: { hostname: "x" } }')).toBe(
      'gateway.hostname is not a known key; expected one of "bind", "port", "auth", "allowedOrigins", "drainSeconds".',
    );
  });

  it('rejects an unknown top-level section', () => {
    expect(messageOf('{ chanels: {} }')).toBe('chanels is not a known key; did you mean "channels"?');
  });

  it('rejects a mention pattern that is not a valid regex, naming its index', () => {
    const msg = messageOf('{ agents: { list: [{ id: "a", groupChat: { mentionPatterns: ["@bot", "(("] } }] } }');
    expect(msg).toMatch(
      /^agents\.list\[0\]\.groupChat\.mentionPatterns\[1\] is "\(\("; expected a valid regular expression \(.+\)\.$/,
    );
  });

  it('rejects an invalid regex in messages.groupChat.mentionPatterns', () => {
    expect(messageOf('{ messages: { groupChat: { mentionPatterns: ["[a-"] } } }')).toMatch(
      /^messages\.groupChat\.mentionPatterns\[0\] is "\[a-"; expected a valid regular expression/,
    );
  });

  it('rejects web.reconnect.maxMs below initialMs', () => {
    expect(messageOf('{ web: { reconnect: { initialMs: 5000, maxMs: 3000 } } }')).toBe(
      'web.reconnect.maxMs is 3000; expected a value ≥ web.reconnect.initialMs (5000).',
    );
  });

  it('rejects initialMs under 250', () => {
    expect(messageOf('{ web: { reconnect: { initialMs: 100 } } }')).toBe(
      'web.reconnect.initialMs is 100; expected an integer ≥ 250.',
    );
  });

  it('rejects a port out of range and a fractional one', () => {
    expect(messageOf('{ gateway: { port: 70000 } }')).toBe(
      'gateway.port is 70000; expected an integer from 0 to 65535.',
    );
    expect(messageOf('{ gateway: { port: 80.5 } }')).toBe('gateway.port is 80.5; expected an integer from 0 to 65535.');
  });

  it('rejects a binding to an unknown agent', () => {
    expect(
      messageOf('{ agents: { list: [{ id: "helper" }] }, bindings: [{ accountId: "default", agentId: "nope" }] }'),
    ).toBe('bindings[0].agentId is "nope"; expected an agent id from agents.list: "helper".');
  });

  it('rejects a binding to an unknown account', () => {
    expect(
      messageOf('{ channels: { whatsapp: { accounts: { work: {} } } }, bindings: [{ accountId: "home", agentId: "main" }] }'),
    ).toBe('bindings[0].accountId is "home"; expected a configured account: "work".');
  });

  it('names a wrong type deep inside an account', () => {
    expect(messageOf('{ channels: { whatsapp: { accounts: { work: { ackReaction: { group: "sometimes" } } } } } }')).toBe(
      'channels.whatsapp.accounts.work.ackReaction.group is "sometimes"; expected one of "always", "mentions", "never".',
    );
    expect(messageOf('{ channels: { whatsapp: { accounts: { work: { dms: { "+1555": { historyLimit: "ten" } } } } } } }')).toBe(
      'channels.whatsapp.accounts.work.dms["+1555"].historyLimit is "ten"; expected an integer ≥ 0.',
    );
  });

  it('rejects an account id that cannot be a directory name', () => {
    expect(messageOf('{ channels: { whatsapp: { accounts: { "../evil": {} } } } }')).toMatch(
      /^channels\.whatsapp\.accounts\["\.\.\/evil"\] is not a valid account id; expected an id of letters/,
    );
  });

  it('rejects an unknown model provider and a command model without a command', () => {
    expect(messageOf('{ agents: { list: [{ id: "a", model: { provider: "gpt" } }] } }')).toBe(
      'agents.list[0].model.provider is "gpt"; expected an object with provider "echo", "command" or "openai".',
    );
    expect(messageOf('{ agents: { defaults: { model: { provider: "command" } } } }')).toBe(
      'agents.defaults.model.command is missing; expected a list such as ["my-agent", "--flag"].',
    );
  });

  it('rejects a duration that is not one', () => {
    expect(messageOf('{ agents: { defaults: { heartbeat: { every: "5 minutes" } } } }')).toBe(
      'agents.defaults.heartbeat.every is "5 minutes"; expected a duration such as "45s", "30m", "2h" or "1d", at most "365d".',
    );
  });

  it('rejects durations past 365 days (and numbers that overflow to Infinity), naming the key and the max', () => {
    expect(messageOf('{ agents: { defaults: { heartbeat: { every: "366d" } } } }')).toBe(
      'agents.defaults.heartbeat.every is "366d"; expected a duration such as "45s", "30m", "2h" or "1d", at most "365d".',
    );
    expect(messageOf(`{ session: { idle: "${'9'.repeat(400)}d" } }`)).toMatch(/^session\.idle is ".*"; expected a duration .* at most "365d"\.$/);
    expect(messageOf('{ web: { heartbeatSeconds: 31536001 } }')).toBe(
      'web.heartbeatSeconds is 31536001; expected an integer from 1 to 31536000.',
    );
    expect(messageOf('{ agents: { defaults: { model: { provider: "command", command: ["x"], timeoutMs: 1e12 } } } }')).toBe(
      'agents.defaults.model.timeoutMs is 1000000000000; expected an integer from 1 to 31536000000.',
    );
  });

  it('accepts the long durations timers chain: 30 days, 365 days, 2^31 ms and more', () => {
    const file = configFile(
      '{ agents: { defaults: { heartbeat: { every: "365d" }, model: { provider: "command", command: ["x"], timeoutMs: 2147483648 } } }, web: { heartbeatSeconds: 2147484 }, session: { idle: "30d" } }',
    );
    expect(() => loadConfig({ path: file, env: {} })).not.toThrow();
  });

  it('rejects a web.url that is not a WebSocket URL', () => {
    expect(messageOf('{ web: { url: "https://web.whatsapp.com" } }')).toBe(
      'web.url is "https://web.whatsapp.com"; expected a ws:// or wss:// URL.',
    );
  });

  it('rejects a web.version that is not [2, 3000, N], and a web.versionUrl that is not http(s)', () => {
    const expected = 'expected the WhatsApp Web version as [2, 3000, N] (three integers, e.g. [2, 3000, 1027934701]).';
    expect(messageOf('{ web: { version: "2.3000.1" } }')).toBe(`web.version is "2.3000.1"; ${expected}`);
    expect(messageOf('{ web: { version: [2, 3000] } }')).toBe(`web.version is [2,3000]; ${expected}`);
    expect(messageOf('{ web: { version: [2, 2413, 51] } }')).toBe(`web.version[1] is 2413; ${expected}`);
    expect(messageOf('{ web: { version: [2, 3000, 1.5] } }')).toBe(`web.version[2] is 1.5; ${expected}`);
    expect(messageOf('{ web: { versionUrl: "ftp://x/sw.js" } }')).toBe('web.versionUrl is "ftp://x/sw.js"; expected an http:// or https:// URL.');
  });

  it('rejects an openai baseUrl that is not an http(s) URL', () => {
    expect(messageOf('{ agents: { defaults: { model: { provider: "openai", baseUrl: "ftp://x", model: "m" } } } }')).toBe(
      'agents.defaults.model.baseUrl is "ftp://x"; expected an http(s) URL such as "https://api.openai.com/v1".',
    );
  });

  it('rejects a top level that is not an object', () => {
    expect(messageOf('[1, 2]')).toBe('the top level is [1,2]; expected an object such as { channels: { whatsapp: { … } } }.');
  });

  it('a deeply nested file (10 KB of "[") is the usual one-line error with a key path, not a stack overflow', () => {
    expect(messageOf(`${'['.repeat(5000)}${']'.repeat(5000)}`)).toBe(
      '[0][0][0][0][0][0][0][0] … is nested more than 32 levels deep; a config needs at most 6 (check the brackets).',
    );
    expect(messageOf(`{ messages: { ackReaction: ${'['.repeat(5000)}${']'.repeat(5000)} } }`)).toBe(
      'messages.ackReaction[0][0][0][0][0][0] … is nested more than 32 levels deep; a config needs at most 6 (check the brackets).',
    );
    expect(messageOf(`{ channels: { whatsapp: { groups: ${'{a:'.repeat(40)}1${'}'.repeat(40)} } } }`)).toBe(
      'channels.whatsapp.groups.a.a.a.a.a … is nested more than 32 levels deep; a config needs at most 6 (check the brackets).',
    );
  });

  it('rejects a gateway.bind that is not a host, naming gateway.bind (not "Invalid URL")', () => {
    const expected = 'expected a host name or IP address such as "127.0.0.1", "::1", "0.0.0.0" or "localhost".';
    expect(messageOf('{ gateway: { bind: "   " } }')).toBe(`gateway.bind is "   "; ${expected}`);
    expect(messageOf('{ gateway: { bind: "" } }')).toBe(`gateway.bind is ""; ${expected}`);
    expect(messageOf('{ gateway: { bind: "http://127.0.0.1:80" } }')).toBe(`gateway.bind is "http://127.0.0.1:80"; ${expected}`);
    for (const ok of ['127.0.0.1', '::1', '0.0.0.0', '::', 'localhost', 'gw.example.org']) {
      expect(() => loadConfig({ path: configFile(JSON.stringify({ gateway: { bind: ok } })), env: {} }), ok).not.toThrow();
    }
  });

  it('names the other problems after the first', () => {
    expect(messageOf('{ channels: { whatsapp: { dmPolicy: 1, historyLimit: -1 } }, gateway: { port: -1 } }')).toBe(
      'channels.whatsapp.dmPolicy is 1; expected one of "pairing", "allowlist", "open", "disabled". ' +
        'Also wrong: channels.whatsapp.historyLimit, gateway.port.',
    );
  });
});

describe('a config file that cannot be read is an error, never "defaults"', () => {
  it('rejects a directory as the config path', () => {
    const dir = tmpDir('config');
    expect(() => loadConfig({ path: dir, env: {} })).toThrow(
      new WagateError('WAGATE_ERR_CONFIG', `Invalid config ${dir}: it is a directory; expected a JSON5 file.`),
    );
  });

  it('rejects a file it has no permission to read', () => {
    const file = configFile('{}');
    // Tests may run as root, where chmod 000 does not stop a read; simulate the EACCES.
    vi.spyOn(fs, 'openSync').mockImplementation(() => {
      throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), { code: 'EACCES' });
    });
    expect(() => loadConfig({ path: file, env: {} })).toThrow(
      new WagateError('WAGATE_ERR_CONFIG', `Invalid config ${file}: permission denied reading it; fix its permissions.`),
    );
  });

  it('refuses /dev/zero (a device) at once instead of reading forever', () => {
    expect(() => loadConfig({ path: '/dev/zero', env: {} })).toThrow(
      new WagateError(
        'WAGATE_ERR_CONFIG',
        'Invalid config /dev/zero: it is a character device, not a regular file; point --config or $WAGATE_CONFIG at a JSON5 file.',
      ),
    );
  });

  it('refuses a FIFO without blocking on it (nobody ever writes to this one)', () => {
    const fifo = path.join(tmpDir('config'), 'wagate.json');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // In a child with a deadline: a blocking read would hang this test worker for good.
    const load = `import(${JSON.stringify(LOAD_TS)}).then((m) => { try { m.loadConfig({ path: process.argv[1], env: {} }); } catch (e) { console.log(e.message); } })`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', load, fifo], { timeout: 20_000, encoding: 'utf8' });
    expect(child.signal).toBeNull();
    expect(child.stdout.trim()).toBe(
      `Invalid config ${fifo}: it is a FIFO (named pipe), not a regular file; point --config or $WAGATE_CONFIG at a JSON5 file.`,
    );
  });

  it('refuses a file over 1 MiB without parsing it; 1 MiB itself is read', () => {
    const big = configFile(`{}${' '.repeat(MAX_CONFIG_BYTES - 1)}`);
    expect(() => loadConfig({ path: big, env: {} })).toThrow(
      new WagateError(
        'WAGATE_ERR_CONFIG',
        `Invalid config ${big}: it is 1048577 bytes, more than the 1 MiB a config file may be; check the path.`,
      ),
    );
    const max = configFile(`{}${' '.repeat(MAX_CONFIG_BYTES - 2)}`);
    expect(loadConfig({ path: max, env: {} }).exists).toBe(true);
  });

  it('rejects a path whose parent is a file', () => {
    const dir = tmpDir('config');
    fs.writeFileSync(path.join(dir, 'plain'), '');
    const file = path.join(dir, 'plain', 'wagate.json');
    expect(() => loadConfig({ path: file, env: {} })).toThrow(/^Invalid config .*: cannot read it \(ENOTDIR\)\.$/);
  });
});

describe('cross-field rules', () => {
  it('rejects two agents with the same id', () => {
    expect(messageOf('{ agents: { list: [{ id: "a" }, { id: "a" }] } }')).toBe(
      'agents.list[1].id is "a"; expected an id not used by another agent.',
    );
  });

  it('rejects two bindings for one account', () => {
    expect(
      messageOf(
        '{ agents: { list: [{ id: "a" }, { id: "b" }] }, bindings: [{ accountId: "default", agentId: "a" }, { accountId: "default", agentId: "b" }] }',
      ),
    ).toBe('bindings[1].accountId is "default"; expected an account not bound by an earlier binding.');
  });

  it('requires heartbeat.to for target "whatsapp"', () => {
    expect(messageOf('{ agents: { defaults: { heartbeat: { every: "1h", target: "whatsapp" } } } }')).toBe(
      'agents.defaults.heartbeat.to is missing; expected a recipient (E.164 or JID) because heartbeat.target is "whatsapp".',
    );
  });
  it('refuses metrics.public beyond loopback (the token stays required there)', () => {
    expect(messageOf('{ metrics: { public: true }, gateway: { bind: "0.0.0.0", auth: { token: "a-long-enough-token-1" } } }')).toBe(
      'metrics.public is true; expected false because gateway.bind "0.0.0.0" is not loopback: beyond loopback /metrics needs the control token (or bind 127.0.0.1).',
    );
    expect(loadConfig({ path: configFile('{ metrics: { public: true } }'), env: {} }).config.metrics.public).toBe(true);
  });
});
