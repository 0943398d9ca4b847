/**
 * The `openai` provider (SPEC §6): any OpenAI-compatible chat-completions endpoint.
 * POST `${baseUrl}/chat/completions` with `{ model, stream: true, messages }`
 * (system prompt, then the session history, then the current Body), the key from
 * `$<apiKeyEnv>` as a Bearer token; the SSE stream's `choices[0].delta.content`
 * pieces are reported through `onDelta` and joined into the reply.
 * `timeoutMs` bounds the whole run; HTTP errors name the status and a body snippet.
 */
import { readSse } from './sse.js';
import { ProviderError, type AgentProvider, type ProviderResult, type ProviderRunInput } from './types.js';
import type { SessionEntry } from '../session-store.js';

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
  const timer = setTimeout(() => timeout.abort(), model.timeoutMs);
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
  try {
    let res: Response;
    try {
      res = await doFetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          model: model.model,
          stream: true,
          messages: chatMessages(model.systemPrompt, input.history, input.envelope.Body),
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
    try {
      for await (const data of readSse(res.body)) {
        if (data === '[DONE]') break;
        const delta = deltaOf(data);
        if (delta) {
          text += delta;
          input.onDelta?.(delta);
        }
      }
    } catch (err) {
      if (signal.aborted) throw abortError(err);
      throw fail(`stream from ${url} broke: ${(err as Error).message}`, {}, err);
    }
    if (signal.aborted) throw abortError();
    return { text: text.trim() };
  } finally {
    clearTimeout(timer);
  }
}

/** `choices[0].delta.content` of one SSE data payload ('' when absent or not JSON). */
function deltaOf(data: string): string {
  try {
    const v = JSON.parse(data) as { choices?: { delta?: { content?: unknown } }[]; error?: { message?: unknown } };
    if (v.error) throw new Error(`error in stream: ${String(v.error.message ?? JSON.stringify(v.error))}`);
    const c = v.choices?.[0]?.delta?.content;
    return typeof c === 'string' ? c : '';
  } catch (err) {
    if (err instanceof SyntaxError) return '';
    throw err;
  }
}
