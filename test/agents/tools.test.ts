import { afterEach, describe, expect, it } from 'vitest';
import { openAiProvider } from '../../src/agents/providers/openai.js';
import { commandReply } from '../../src/agents/tools-command.js';
import { mergeToolCallDeltas, MAX_TOOL_ROUNDS, type ToolCall } from '../../src/agents/tools-openai.js';
import {
  runWhatsappTool,
  WHATSAPP_TOOL_DEFINITION,
  whatsappTools,
  type ProviderTools,
  type RunInputWithTools,
} from '../../src/agents/tools.js';
import { silentLogger } from '../../src/log.js';
import { harness } from '../access/harness.js';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai.js';

const CHAT = '15551230001@s.whatsapp.net';

describe('runWhatsappTool react', () => {
  it('reacts, and removes with an empty emoji or remove:true', async () => {
    const h = harness();
    const res = await runWhatsappTool(h.deps, { action: 'react', chatJid: CHAT, messageId: 'M1', emoji: '👍' });
    expect(res).toEqual({ ok: true, action: 'react', accountId: 'default', chatJid: CHAT, messageId: 'M1', emoji: '👍', removed: false });
    await runWhatsappTool(h.deps, { action: 'react', chatJid: '+15551230001', messageId: 'M1', emoji: '👍', remove: true });
    await runWhatsappTool(h.deps, { action: 'react', chatJid: CHAT, messageId: 'M2', emoji: '', fromMe: true, participant: 'x@s.whatsapp.net' });
    expect(h.conn.reactions).toEqual([
      { ref: { chatJid: CHAT, id: 'M1', fromMe: false }, emoji: '👍' },
      { ref: { chatJid: CHAT, id: 'M1', fromMe: false }, emoji: '' },
      { ref: { chatJid: CHAT, id: 'M2', fromMe: true, participant: 'x@s.whatsapp.net' }, emoji: '' },
    ]);
  });

  it('is refused with a clear error when actions.reactions is false (per account)', async () => {
    const h = harness({ actions: { reactions: false } });
    await expect(runWhatsappTool(h.deps, { action: 'react', chatJid: CHAT, messageId: 'M1', emoji: '👍' })).rejects.toMatchObject({
      code: 'WAGATE_ERR_BAD_REQUEST',
      message: expect.stringContaining('channels.whatsapp.actions.reactions is false'),
    });
    expect(h.conn.reactions).toEqual([]);
  });

  it('rejects bad arguments, unknown actions and unknown accounts', async () => {
    const h = harness();
    await expect(runWhatsappTool(h.deps, { action: 'react', chatJid: CHAT })).rejects.toMatchObject({
      code: 'WAGATE_ERR_BAD_REQUEST',
      message: expect.stringContaining('messageId'),
    });
    await expect(runWhatsappTool(h.deps, { action: 'delete', chatJid: CHAT, messageId: 'M' })).rejects.toMatchObject({ code: 'WAGATE_ERR_BAD_REQUEST' });
    await expect(runWhatsappTool(h.deps, { action: 'react', chatJid: 'not a jid', messageId: 'M' })).rejects.toMatchObject({ code: 'WAGATE_ERR_BAD_REQUEST' });
    await expect(runWhatsappTool(h.deps, { action: 'react', chatJid: CHAT, messageId: 'M', accountId: 'nope' })).rejects.toMatchObject({
      code: 'WAGATE_ERR_UNKNOWN_ACCOUNT',
    });
    expect(h.conn.reactions).toEqual([]);
  });

  it('whatsappTools.call never throws: failures come back as {ok:false, error}', async () => {
    const h = harness();
    h.connected = false;
    const tools = whatsappTools(h.deps, { accountId: 'default', chatJid: CHAT, messageId: 'M9', logger: silentLogger() });
    expect(tools.context).toContain('current messageId M9');
    expect(await tools.call('whatsapp', { action: 'react', chatJid: CHAT, messageId: 'M9', emoji: '👍' })).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('No active WhatsApp listener') },
    });
    expect(await tools.call('shell', {})).toMatchObject({ ok: false, error: { code: 'WAGATE_ERR_BAD_REQUEST' } });
  });
});

describe('the declared tool (openai)', () => {
  it('its parameters are the validator\'s own JSON Schema (zod toJSONSchema): fields, required, closed, described', () => {
    const { function: fn, type } = WHATSAPP_TOOL_DEFINITION;
    expect(type).toBe('function');
    expect(fn.name).toBe('whatsapp');
    const params = fn.parameters as { type: string; properties: Record<string, { type: string; enum?: string[]; description?: string }>; required: string[]; additionalProperties: boolean };
    expect(params).not.toHaveProperty('$schema');
    expect(params.type).toBe('object');
    expect(params.additionalProperties).toBe(false);
    expect(params.required).toEqual(['action', 'chatJid', 'messageId']);
    expect(Object.fromEntries(Object.entries(params.properties).map(([k, v]) => [k, v.type]))).toEqual({
      action: 'string',
      chatJid: 'string',
      messageId: 'string',
      emoji: 'string',
      remove: 'boolean',
      participant: 'string',
      fromMe: 'boolean',
      accountId: 'string',
    });
    expect(params.properties.action?.enum).toEqual(['react']);
    for (const k of ['chatJid', 'messageId', 'emoji', 'participant', 'fromMe']) expect(params.properties[k]?.description).toBeTruthy();
  });
});

describe('command reply actions', () => {
  const recorder = () => {
    const calls: [string, unknown][] = [];
    const tools: ProviderTools = { definitions: [], call: async (n, a) => (calls.push([n, a]), { ok: true }) };
    return { calls, tools };
  };

  it('runs each action in order; text is still the reply, actions-only delivers nothing', async () => {
    const { calls, tools } = recorder();
    const raw = JSON.stringify({
      text: ' done ',
      actions: [
        { tool: 'whatsapp', action: 'react', chatJid: CHAT, messageId: 'A', emoji: '👍' },
        { tool: 'whatsapp', action: 'react', chatJid: CHAT, messageId: 'A', remove: true },
        'junk',
      ],
    });
    expect(await commandReply(raw, tools)).toEqual({ text: 'done' });
    expect(calls).toEqual([
      ['whatsapp', { action: 'react', chatJid: CHAT, messageId: 'A', emoji: '👍' }],
      ['whatsapp', { action: 'react', chatJid: CHAT, messageId: 'A', remove: true }],
    ]);
    expect(await commandReply(JSON.stringify({ actions: [] }), tools)).toEqual({ text: '' });
  });

  it('plain text and {text} replies are unchanged', async () => {
    const { calls, tools } = recorder();
    expect(await commandReply('hello {x}', tools)).toEqual({ text: 'hello {x}' });
    expect(await commandReply('{"text":"hi"}', tools)).toEqual({ text: 'hi' });
    expect(calls).toEqual([]);
  });
});

describe('openai tool calls', () => {
  let fake: FakeOpenAi | null = null;
  afterEach(async () => {
    await fake?.close();
    fake = null;
  });

  it('merges streamed tool-call fragments by index', () => {
    const calls: ToolCall[] = [];
    mergeToolCallDeltas(calls, { choices: [{ delta: { tool_calls: [{ index: 0, id: 'c1', function: { name: 'whatsapp', arguments: '{"a"' } }] } }] });
    mergeToolCallDeltas(calls, { choices: [{ delta: { tool_calls: [{ index: 1, id: 'c2', function: { name: 'x', arguments: '' } }] } }] });
    mergeToolCallDeltas(calls, { choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: ':1}' } }] } }] });
    mergeToolCallDeltas(calls, { choices: [{ delta: { content: 'hi' } }] });
    expect(calls).toEqual([
      { id: 'c1', name: 'whatsapp', arguments: '{"a":1}' },
      { id: 'c2', name: 'x', arguments: '' },
    ]);
  });

  it('declares the whatsapp tool, runs the call, sends the result back and returns the final text', async () => {
    fake = await startFakeOpenAi();
    const args = { action: 'react', chatJid: CHAT, messageId: 'M1', emoji: '👍' };
    fake.reply = (req) =>
      req.body.messages?.some((m) => m.role === 'tool')
        ? { kind: 'stream', chunks: ['Reacted', '.'] }
        : { kind: 'tool_calls', calls: [{ id: 'call_1', name: 'whatsapp', arguments: JSON.stringify(args) }] };
    const h = harness();
    const input: RunInputWithTools = {
      agentId: 'main',
      sessionKey: 'agent:main:main',
      envelope: { Body: 'like my message' },
      history: [],
      signal: new AbortController().signal,
      tools: whatsappTools(h.deps, { accountId: 'default', chatJid: CHAT, messageId: 'M1', logger: silentLogger() }),
    };
    const res = await openAiProvider({ baseUrl: fake.baseUrl, model: 'm', timeoutMs: 5000 }).run(input);
    expect(res).toEqual({ text: 'Reacted.' });
    expect(h.conn.reactions).toEqual([{ ref: { chatJid: CHAT, id: 'M1', fromMe: false }, emoji: '👍' }]);
    expect(fake.requests).toHaveLength(2);
    const [first, second] = fake.requests;
    expect(first!.body.tools?.map((t) => t.function.name)).toEqual(['whatsapp']);
    expect(first!.body.messages?.map((m) => m.role)).toEqual(['system', 'user']);
    expect(first!.body.messages?.[0]?.content).toContain(`chatJid ${CHAT}`);
    const msgs = second!.body.messages!;
    expect(msgs.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(msgs[2]!.tool_calls).toEqual([{ id: 'call_1', type: 'function', function: { name: 'whatsapp', arguments: JSON.stringify(args) } }]);
    expect(msgs[3]!.tool_call_id).toBe('call_1');
    expect(JSON.parse(msgs[3]!.content)).toMatchObject({ ok: true, emoji: '👍' });
  });

  it('stops offering tools after MAX_TOOL_ROUNDS; a disabled tool answers the model with the error', async () => {
    fake = await startFakeOpenAi();
    fake.reply = (req) =>
      req.body.tools
        ? { kind: 'tool_calls', calls: [{ id: 'c', name: 'whatsapp', arguments: '{"action":"react","chatJid":"1@s.whatsapp.net","messageId":"M"}' }] }
        : { kind: 'stream', chunks: ['gave up'] };
    const h = harness({ actions: { reactions: false } });
    const res = await openAiProvider({ baseUrl: fake.baseUrl, model: 'm', timeoutMs: 5000 }).run({
      agentId: 'main',
      sessionKey: 's',
      envelope: { Body: 'x' },
      history: [],
      signal: new AbortController().signal,
      tools: whatsappTools(h.deps, { accountId: 'default', logger: silentLogger() }),
    } as RunInputWithTools);
    expect(res.text).toBe('gave up');
    expect(fake.requests).toHaveLength(MAX_TOOL_ROUNDS + 1);
    const last = fake.requests.at(-1)!.body.messages!;
    expect(JSON.parse(last.at(-1)!.content)).toMatchObject({ ok: false, error: { message: expect.stringContaining('disabled') } });
    expect(h.conn.reactions).toEqual([]);
  });
});
