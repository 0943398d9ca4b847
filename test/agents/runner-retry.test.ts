/**
 * Issue 13 "an agent that crashes once": the runner tries a transient provider error
 * again (the real openai provider against a local fake endpoint), and does not retry
 * what another try would not fix.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAgentRunner, isTransientProviderError, type RunRequest } from '../../src/agents/runner.js';
import { openAiProvider } from '../../src/agents/providers/openai.js';
import { ProviderError, type ProviderResult } from '../../src/agents/providers/types.js';
import { startFakeOpenAi, type FakeOpenAi, type FakeOpenAiReply } from '../helpers/fake-openai.js';
import { harness } from '../access/harness.js';

const MAIN = 'agent:main:main';
let fake: FakeOpenAi;
beforeEach(async () => {
  fake = await startFakeOpenAi();
});
afterEach(async () => {
  await fake.close();
});

const request = (over: Partial<RunRequest<ProviderResult>> = {}): RunRequest<ProviderResult> => ({
  runId: 'r',
  origin: 'message',
  accountId: 'default',
  agentId: 'main',
  sessionKey: MAIN,
  prepare: async () => ({ envelope: { Body: 'hi' }, history: [] }),
  finish: async (result) => ({ value: result }),
  ...over,
});

/** The fake answers with `first` for the first `n` requests, then streams "ok". */
function failFirst(n: number, first: FakeOpenAiReply): void {
  let left = n;
  fake.reply = () => (left-- > 0 ? first : { kind: 'stream', chunks: ['ok'] });
}

/** The statuses of the runner's `agent.run.finished` events (the harness does not record that event). */
function finishedStatuses(h: ReturnType<typeof harness>): string[] {
  const out: string[] = [];
  h.bus.on('agent.run.finished', (e) => void out.push(e.status));
  return out;
}

function runnerWith(h: ReturnType<typeof harness>) {
  const provider = openAiProvider({ baseUrl: fake.baseUrl, model: 'm', timeoutMs: 5000 });
  return h.start(createAgentRunner(h.deps, { providerFor: () => provider, retryDelaysMs: [0, 0] }));
}

describe('agent runner: transient provider errors are tried again', () => {
  it('an HTTP 500 once: the run is tried again and answers; only one finished event, ok', async () => {
    const h = harness();
    failFirst(1, { kind: 'error', status: 500, body: '{"error":{"message":"crashed"}}' });
    const finished = finishedStatuses(h);
    const runner = runnerWith(h);
    expect(await runner.run(request())).toEqual({ text: 'ok' });
    expect(fake.requests).toHaveLength(2);
    await h.bus.idle();
    expect(finished).toEqual(['ok']);
  });

  it('a 5xx on every try: 3 tries, then the run fails', async () => {
    const h = harness();
    failFirst(10, { kind: 'error', status: 503, body: 'busy' });
    const finished = finishedStatuses(h);
    const runner = runnerWith(h);
    await expect(runner.run(request())).rejects.toThrow('HTTP 503');
    expect(fake.requests).toHaveLength(3);
    await h.bus.idle();
    expect(finished).toEqual(['error']);
  });

  it('a 400 is not tried again', async () => {
    const h = harness();
    failFirst(1, { kind: 'error', status: 400, body: 'bad request' });
    const runner = runnerWith(h);
    await expect(runner.run(request())).rejects.toThrow('HTTP 400');
    expect(fake.requests).toHaveLength(1);
  });

  it('classifies provider errors', () => {
    const e = (detail: ProviderError['detail'], message = 'x', provider: 'openai' | 'command' = 'openai') => new ProviderError(provider, message, detail);
    expect(isTransientProviderError(e({ status: 502 }))).toBe(true);
    expect(isTransientProviderError(e({ status: 429 }))).toBe(true);
    expect(isTransientProviderError(e({ status: 401 }))).toBe(false);
    expect(isTransientProviderError(e({ timedOut: true }))).toBe(true);
    expect(isTransientProviderError(e({}, 'request to http://x/chat/completions failed: ECONNREFUSED'))).toBe(true);
    expect(isTransientProviderError(e({}, 'run aborted'))).toBe(false);
    expect(isTransientProviderError(e({ exitCode: 1 }, 'exited 1', 'command'))).toBe(false);
    expect(isTransientProviderError(new Error('HTTP 500'))).toBe(false);
  });
});
