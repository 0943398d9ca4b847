/**
 * The config loader on arbitrary input: random bytes, random JSON5 values
 * (shaped like a config or not), deep nesting. Whatever the file holds, loading
 * ends quickly in a config or in exactly one clear WAGATE_ERR_CONFIG line that
 * names the file; never a crash, a stack overflow or a hang.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import JSON5 from 'json5';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { isWagateError } from '../../src/errors.js';
import { tmpDir } from '../helpers/tmp.js';

/** Per input; a real load takes about a millisecond. */
const BOUND_MS = 1000;

function loadOutcome(file: string, content: string | Uint8Array): 'ok' | string {
  fs.writeFileSync(file, content);
  const started = performance.now();
  try {
    loadConfig({ path: file, env: {} });
    return 'ok';
  } catch (err) {
    if (!isWagateError(err) || err.code !== 'WAGATE_ERR_CONFIG') throw err; // a crash, not a config error
    return err.message;
  } finally {
    expect(performance.now() - started).toBeLessThan(BOUND_MS);
  }
}

function expectOneClearLine(file: string, outcome: string): void {
  if (outcome === 'ok') return;
  expect(outcome.startsWith(`Invalid config ${file}: `)).toBe(true);
  expect(outcome).not.toMatch(/[\n\r]/);
  expect(outcome).not.toMatch(/Maximum call stack|Invalid URL|undefined|\[object Object\]/);
  expect(outcome.length).toBeLessThan(600);
}

const KEYS = [
  'channels', 'whatsapp', 'accounts', 'default', 'work', 'dmPolicy', 'groupPolicy', 'allowFrom', 'groups', 'dms',
  'historyLimit', 'ackReaction', 'emoji', 'agents', 'defaults', 'list', 'id', 'model', 'provider', 'command',
  'heartbeat', 'every', 'target', 'to', 'messages', 'groupChat', 'mentionPatterns', 'session', 'idle', 'web',
  'url', 'heartbeatSeconds', 'reconnect', 'maxMs', 'gateway', 'bind', 'port', 'auth', 'token', 'logging', 'file',
  'bindings', 'accountId', 'agentId', '__proto__', 'constructor', '$schema',
];
const scalars = fc.oneof(
  fc.constantFrom('open', 'pairing', 'allowlist', 'echo', 'command', '30d', '366d', '1e400d', '   ', '*', '(a+)+$', '[', ''),
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const configish = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalars,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** `depth` opening brackets (mixed), optionally closed, optionally inside a real key. */
const deepText = fc
  .record({
    depth: fc.integer({ min: 1, max: 20_000 }),
    opener: fc.constantFrom('[', '{a:', '[{b:', '{"channels":'),
    closed: fc.boolean(),
    prefix: fc.constantFrom('', '{ messages: { ackReaction: ', '{ channels: { whatsapp: { groups: '),
  })
  .map(({ depth, opener, closed, prefix }) => {
    const open = opener.repeat(Math.ceil(depth / opener.length));
    if (!closed) return prefix + open;
    const close = [...open].filter((c) => c === '[' || c === '{').reverse().map((c) => (c === '[' ? ']' : '}')).join('');
    const inner = open.endsWith(':') ? `${open}1${close}` : `${open}${close}`;
    const tail = prefix ? '}'.repeat((prefix.match(/{/g) ?? []).length) : '';
    return prefix + inner + tail;
  });

describe('loading arbitrary config files', () => {
  const newFile = () => path.join(tmpDir('config'), 'wagate.json');

  it('random bytes: a config or one clear error line, quickly', () => {
    const file = newFile();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => expectOneClearLine(file, loadOutcome(file, bytes))),
      { numRuns: 150 },
    );
  });

  it('random JSON5 values shaped like a config: a config or one clear error line, quickly', () => {
    const file = newFile();
    fc.assert(
      fc.property(configish, fc.boolean(), (value, json5) => {
        const text = json5 ? JSON5.stringify(value) : JSON.stringify(value);
        if (text === undefined) return;
        expectOneClearLine(file, loadOutcome(file, text));
      }),
      { numRuns: 300 },
    );
  });

  it('deep nesting, closed or not, anywhere: one clear error line, quickly', () => {
    const file = newFile();
    fc.assert(
      fc.property(deepText, (text) => {
        const outcome = loadOutcome(file, text);
        expectOneClearLine(file, outcome);
      }),
      { numRuns: 60 },
    );
  });
});
