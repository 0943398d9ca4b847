import { describe, expect, it } from 'vitest';
import { commandProvider } from '../../src/agents/providers/command.js';
import { echoProvider } from '../../src/agents/providers/echo.js';
import { createProvider } from '../../src/agents/providers/index.js';
import { ProviderError, parseReply, type ProviderRunInput } from '../../src/agents/providers/types.js';

const ENVELOPE = { Body: '[WhatsApp +1555 2025-01-01 10:00 UTC] ping', From: '+1555' };
const input = (over: Partial<ProviderRunInput> = {}): ProviderRunInput => ({
  agentId: 'main',
  sessionKey: 'agent:main:main',
  envelope: ENVELOPE,
  history: [{ role: 'user', text: 'before', at: 1 }],
  signal: new AbortController().signal,
  ...over,
});
const node = (script: string, timeoutMs = 10_000) =>
  commandProvider({ command: [process.execPath, '-e', script], timeoutMs });
const fail = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as ProviderError);

describe('command provider', () => {
  it('writes {envelope, history, agentId, sessionKey} to stdin and replies with trimmed stdout', async () => {
    const script =
      'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);' +
      'process.stdout.write("  got "+JSON.stringify([j.envelope.Body,j.envelope.From,j.history.length,j.agentId,j.sessionKey])+"\\n\\n")})';
    const result = await node(script).run(input());
    expect(result).toEqual({
      text: `got ${JSON.stringify(['[WhatsApp +1555 2025-01-01 10:00 UTC] ping', '+1555', 1, 'main', 'agent:main:main'])}`,
    });
  });

  it('accepts a JSON reply with text and media', async () => {
    const out = JSON.stringify({ text: ' pic ', media: [{ path: '/tmp/a.jpg', caption: 'A' }, { bogus: 1 }] });
    const result = await node(`process.stdout.write(${JSON.stringify(out)})`).run(input());
    expect(result).toEqual({ text: 'pic', media: [{ path: '/tmp/a.jpg', caption: 'A' }] });
  });

  it('a program that ignores stdin still works', async () => {
    expect((await node('console.log("hi")').run(input())).text).toBe('hi');
  });

  it('is not run through a shell', async () => {
    const p = commandProvider({ command: [process.execPath, '-e', 'console.log(process.argv[1])', '$HOME;echo x'], timeoutMs: 10_000 });
    expect((await p.run(input())).text).toBe('$HOME;echo x');
  });

  it('non-zero exit → error with the exit code and stderr tail', async () => {
    const err = await fail(node('process.stderr.write("boom: bad input\\n");process.stdout.write("partial");process.exit(3)').run(input()));
    expect(err).toBeInstanceOf(ProviderError);
    expect(err?.message).toMatch(/exited with code 3: boom: bad input/);
    expect(err?.detail.exitCode).toBe(3);
  });

  it('timeout → the child is killed and the run fails', async () => {
    const started = Date.now();
    const err = await fail(node('setInterval(()=>{},1000)', 200).run(input()));
    expect(err?.detail.timedOut).toBe(true);
    expect(err?.message).toMatch(/timed out after 200 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('abort kills the child', async () => {
    const ac = new AbortController();
    const run = node('setInterval(()=>{},1000)').run(input({ signal: ac.signal }));
    setImmediate(() => ac.abort());
    expect((await fail(run))?.message).toMatch(/aborted/);
  });

  it('a missing program is an error, not a crash', async () => {
    const p = commandProvider({ command: ['/nonexistent/wagate-agent'], timeoutMs: 1000 });
    expect((await fail(p.run(input())))?.message).toMatch(/could not start/);
  });
});

describe('echo provider', () => {
  it('replies with the message text', async () => {
    expect(await echoProvider.run(input({ envelope: { Body: "[WhatsApp +1555 2025-01-01 10:00 UTC] ping", RawBody: "ping" } }))).toEqual({ text: 'echo: ping' });
  });
  it('falls back to the Body', async () => {
    expect((await echoProvider.run(input())).text).toBe('echo: [WhatsApp +1555 2025-01-01 10:00 UTC] ping');
  });
});

describe('createProvider', () => {
  it('maps the model config to a provider', () => {
    expect(createProvider({ provider: 'echo' }).name).toBe('echo');
    expect(createProvider({ provider: 'command', command: ['x'], timeoutMs: 1 }).name).toBe('command');
    expect(createProvider({ provider: 'openai', baseUrl: 'http://127.0.0.1:1/v1', model: 'm', timeoutMs: 1 }).name).toBe('openai');
  });
});

describe('parseReply', () => {
  it.each([
    ['  plain  ', { text: 'plain' }],
    ['{not json', { text: '{not json' }],
    ['{"other":1}', { text: '{"other":1}' }],
    ['{"text":"t"}', { text: 't' }],
    ['{"text":"t","media":[]}', { text: 't' }],
  ])('%j', (raw, expected) => {
    expect(parseReply(raw)).toEqual(expected);
  });
});
