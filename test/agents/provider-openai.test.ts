import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { chatMessages, openAiProvider, type OpenAiModelConfig } from '../../src/agents/providers/openai.js';
import { ProviderError, type ProviderRunInput } from '../../src/agents/providers/types.js';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai.js';

let fake: FakeOpenAi;
beforeEach(async () => {
  fake = await startFakeOpenAi();
});
afterEach(async () => {
  await fake.close();
});

const model = (over: Partial<OpenAiModelConfig> = {}): OpenAiModelConfig => ({
  baseUrl: fake.baseUrl,
  model: 'test-model',
  timeoutMs: 5000,
  ...over,
});
const input = (over: Partial<ProviderRunInput> = {}): ProviderRunInput => ({
  agentId: 'main',
  sessionKey: 'agent:main:main',
  envelope: { Body: '[WhatsApp +1555 2025-01-01 10:00 UTC] hi' },
  history: [],
  signal: new AbortController().signal,
  ...over,
});

describe('openai provider', () => {
  it('streams deltas and joins them into the reply', async () => {
    fake.reply = { kind: 'stream', chunks: ['Hel', 'lo ', 'there'] };
    const deltas: string[] = [];
    const result = await openAiProvider(model()).run(input({ onDelta: (d) => deltas.push(d) }));
    expect(result).toEqual({ text: 'Hello there' });
    expect(deltas).toEqual(['Hel', 'lo ', 'there']);
  });

  it('posts model, stream: true and system, history, user messages with the bearer key', async () => {
    const p = openAiProvider(model({ apiKeyEnv: 'FAKE_KEY', systemPrompt: 'Be brief.' }), {
      env: { FAKE_KEY: 'sk-test' },
    });
    await p.run(
      input({
        history: [
          { role: 'user', text: 'earlier', at: 1, sender: 'Ann (+1555)' },
          { role: 'assistant', text: 'answer', at: 2 },
        ],
      }),
    );
    const req = fake.requests[0];
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/v1/chat/completions');
    expect(req?.authorization).toBe('Bearer sk-test');
    expect(req?.body).toEqual({
      model: 'test-model',
      stream: true,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Ann (+1555): earlier' },
        { role: 'assistant', content: 'answer' },
        { role: 'user', content: '[WhatsApp +1555 2025-01-01 10:00 UTC] hi' },
      ],
    });
  });

  it('sends no Authorization header when the key env var is unset', async () => {
    await openAiProvider(model({ apiKeyEnv: 'FAKE_KEY' }), { env: {} }).run(input());
    expect(fake.requests[0]?.authorization).toBeUndefined();
  });

  it('a stream that ends without [DONE] still gives the text', async () => {
    fake.reply = { kind: 'stream', chunks: ['ok'], omitDone: true };
    expect((await openAiProvider(model()).run(input())).text).toBe('ok');
  });

  it.each([
    [401, '{"error":{"message":"Incorrect API key provided"}}', /HTTP 401 .*Incorrect API key/],
    [500, 'upstream exploded', /HTTP 500 .*upstream exploded/],
  ])('HTTP %s → ProviderError with status and body snippet', async (status, body, pattern) => {
    fake.reply = { kind: 'error', status, body };
    const err = await openAiProvider(model()).run(input()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).message).toMatch(pattern);
    expect((err as ProviderError).detail.status).toBe(status);
  });

  it('snips long error bodies', async () => {
    fake.reply = { kind: 'error', status: 500, body: 'x'.repeat(5000) };
    const err = (await openAiProvider(model()).run(input()).catch((e: unknown) => e)) as ProviderError;
    expect(err.message.length).toBeLessThan(600);
  });

  it('a slow stream past timeoutMs fails as a timeout and the connection is dropped', async () => {
    fake.reply = { kind: 'hang' };
    const err = (await openAiProvider(model({ timeoutMs: 150 })).run(input()).catch((e: unknown) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.detail.timedOut).toBe(true);
    await expect.poll(() => fake.clientAborts).toBe(1);
  });

  it('a timeoutMs over 2^31−1 ms is not a 1 ms timeout: the run waits for the answer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let answer: (r: Response) => void = () => undefined;
      const fetchLater = ((_url: unknown, init?: RequestInit) =>
        new Promise<Response>((resolve, reject) => {
          answer = resolve;
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        })) as typeof fetch;
      const settled = vi.fn();
      const run = openAiProvider(model({ timeoutMs: 2 ** 31 }), { fetch: fetchLater }).run(input());
      run.then(settled, settled);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(settled).not.toHaveBeenCalled();
      const body = 'data: {"choices":[{"delta":{"content":"late but fine"}}]}\n\ndata: [DONE]\n\n';
      answer(new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }));
      await expect(run).resolves.toEqual({ text: 'late but fine' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('abort mid-stream rejects (no partial reply) and closes the connection', async () => {
    fake.reply = { kind: 'stream', chunks: ['a', 'b', 'c', 'd'], delayMs: 40 };
    const ac = new AbortController();
    const deltas: string[] = [];
    const run = openAiProvider(model()).run(
      input({
        signal: ac.signal,
        onDelta: (d) => {
          deltas.push(d);
          ac.abort();
        },
      }),
    );
    const err = (await run.catch((e: unknown) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toMatch(/aborted/);
    expect(deltas).toEqual(['a']);
    await expect.poll(() => fake.clientAborts).toBe(1);
  });

  it('an already-aborted signal sends nothing', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(openAiProvider(model()).run(input({ signal: ac.signal }))).rejects.toThrow(/aborted/);
  });

  it('an unreachable endpoint is a clear error', async () => {
    const url = fake.baseUrl;
    await fake.close();
    fake = await startFakeOpenAi();
    await expect(openAiProvider(model({ baseUrl: url })).run(input())).rejects.toThrow(/request to .* failed/);
  });
});

describe('chatMessages', () => {
  it('omits an empty system prompt', () => {
    expect(chatMessages(undefined, [], 'x')).toEqual([{ role: 'user', content: 'x' }]);
  });
});
