/**
 * The `openai` provider (SPEC §6): any OpenAI-compatible chat-completions endpoint.
 * POST `${baseUrl}/chat/completions` with `{ model, stream: true, messages }`
 * (system prompt, then the session history, then the current Body), the key from
 * `$<apiKeyEnv>` as a Bearer token; the SSE stream's `choices[0].delta.content`
 * pieces are reported through `onDelta` and joined into the reply.
 * `timeoutMs` bounds the whole run; HTTP errors name the status and a body snippet.
 */
import { setLongTimeout } from '../../timers.js';
import { readSse } from './sse.js';
import { ProviderError, type AgentProvider, type ProviderResult, type ProviderRunInput } from './types.js';
import type { SessionEntry } from '../session-store.js';
import type { RunInputWithTools } from '../tools.js';
import { MAX_TOOL_ROUNDS, mergeToolCallDeltas, toolTurn, type ToolCall, type WireMessage } from '../tools-openai.js';

const BODY_SNIPPET = 300;

export interface OpenAiModelConfig {
  baseUrl: string;
  model: string;
  apiKeyEnv?: string | undefined;
  systemPrompt?: string | undefined;
  timeoutMs: number;
}

export interface OpenAiProviderOptions {
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** The chat messages for a run: system?, history (user turns labelled with their sender), user. */
export function chatMessages(systemPrompt: string | undefined, history: SessionEntry[], body: string): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (systemPrompt) messages.push({ role: 'system', content: systemPrompt });
  for (const e of history) {
    const content = e.role === 'user' && e.sender ? `${e.sender}: ${e.text}` : e.text;
    messages.push({ role: e.role, content });
  }
  messages.push({ role: 'user', content: body });
  return messages;
}

export function openAiProvider(model: OpenAiModelConfig, opts: OpenAiProviderOptions = {}): AgentProvider {
  return {
    name: 'openai',
    run: (input) => runOpenAi(model, opts, input),
  };
}

async function runOpenAi(
  model: OpenAiModelConfig,
  opts: OpenAiProviderOptions,
  input: ProviderRunInput,
): Promise<ProviderResult> {
  const env = opts.env ?? process.env;
  const doFetch = opts.fetch ?? fetch;
  const timeout = new AbortController();
  const timer = setLongTimeout(() => timeout.abort(), model.timeoutMs);
  const signal = AbortSignal.any([input.signal, timeout.signal]);
  const fail = (message: string, detail: ConstructorParameters<typeof ProviderError>[2] = {}, cause?: unknown) =>
    new ProviderError('openai', message, detail, { cause });
  const abortError = (cause?: unknown) =>
    timeout.signal.aborted
      ? fail(`no complete answer within ${model.timeoutMs} ms`, { timedOut: true }, cause)
      : fail('run aborted', {}, cause);

  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
  const key = model.apiKeyEnv ? env[model.apiKeyEnv] : undefined;
  if (key) headers.authorization = `Bearer ${key}`;
  const url = `${model.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  // Tools (SPEC §8): offered while rounds remain; tool calls are run and the answers sent back.
  const tools = (input as RunInputWithTools).tools;
  const messages: WireMessage[] = chatMessages(model.systemPrompt, input.history, input.envelope.Body);
  if (tools?.context) messages.splice(messages.length - 1, 0, { role: 'system', content: tools.context });
  try {
    let text = '';
    for (let round = 0; ; round += 1) {
      const offer = tools && round < MAX_TOOL_ROUNDS ? tools : undefined;
      const got = await streamOnce(messages, offer !== undefined);
      text += got.text;
      if (!offer || got.calls.length === 0) break;
      messages.push(...(await toolTurn(offer, got.text, got.calls)));
      if (signal.aborted) throw abortError();
    }
    return { text: text.trim() };
  } finally {
    timer.clear();
  }

  async function streamOnce(messages: WireMessage[], withTools: boolean): Promise<{ text: string; calls: ToolCall[] }> {
    let res: Response;
    try {
      res = await doFetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          model: model.model,
          stream: true,
          messages,
          ...(withTools && tools ? { tools: tools.definitions } : {}),
        }),
        signal,
      });
    } catch (err) {
      if (signal.aborted) throw abortError(err);
      throw fail(`request to ${url} failed: ${(err as Error).message}`, {}, err);
    }
    if (!res.ok) {
      const body = (await res.text().catch(() => '')).slice(0, BODY_SNIPPET);
      throw fail(`HTTP ${res.status} from ${url}${body ? `: ${body}` : ''}`, { status: res.status, body });
    }
    if (!res.body) throw fail(`empty response body from ${url}`);
    let text = '';
    const calls: ToolCall[] = [];
    try {
      for await (const data of readSse(res.body)) {
        if (data === '[DONE]') break;
        const payload = payloadOf(data);
        const delta = deltaOf(payload);
        if (delta) {
          text += delta;
          input.onDelta?.(delta);
        }
        mergeToolCallDeltas(calls, payload);
      }
    } catch (err) {
      if (signal.aborted) throw abortError(err);
      throw fail(`stream from ${url} broke: ${(err as Error).message}`, {}, err);
    }
    if (signal.aborted) throw abortError();
    return { text, calls: calls.filter((c) => c && c.name) };
  }
}

/** One SSE data payload as JSON (null when not JSON); an `error` payload throws. */
function payloadOf(data: string): unknown {
  let v: { error?: { message?: unknown } };
  try {
    v = JSON.parse(data) as typeof v;
  } catch {
    return null;
  }
  if (v?.error) throw new Error(`error in stream: ${String(v.error.message ?? JSON.stringify(v.error))}`);
  return v;
}

/** `choices[0].delta.content` of one SSE payload ('' when absent). */
function deltaOf(payload: unknown): string {
  const c = (payload as { choices?: { delta?: { content?: unknown } }[] } | null)?.choices?.[0]?.delta?.content;
  return typeof c === 'string' ? c : '';
}
