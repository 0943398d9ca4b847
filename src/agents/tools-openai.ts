/**
 * Tool calls in the OpenAI chat-completions stream (SPEC §8 via the `openai`
 * provider): `choices[0].delta.tool_calls` pieces are merged by `index` (the id
 * and name come first, the JSON arguments arrive in fragments); after the stream
 * the provider runs the calls, appends the assistant turn and one `tool` message
 * per call, and asks again — at most MAX_TOOL_ROUNDS times.
 */
import type { ProviderTools } from './tools.js';

export const MAX_TOOL_ROUNDS = 5;

export interface ToolCall {
  id: string;
  name: string;
  /** The JSON arguments text as streamed. */
  arguments: string;
}

/** A chat message on the wire, tool turns included. */
export type WireMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[] }
  | { role: 'tool'; tool_call_id: string; content: string };

interface ToolCallDelta {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}

/** Merges one SSE payload's `delta.tool_calls` into `calls` (by index). */
export function mergeToolCallDeltas(calls: ToolCall[], payload: unknown): void {
  const deltas = (payload as { choices?: { delta?: { tool_calls?: unknown } }[] })?.choices?.[0]?.delta?.tool_calls;
  if (!Array.isArray(deltas)) return;
  for (const d of deltas as ToolCallDelta[]) {
    const i = typeof d.index === 'number' ? d.index : calls.length;
    const call = (calls[i] ??= { id: '', name: '', arguments: '' });
    if (typeof d.id === 'string' && d.id) call.id = d.id;
    if (typeof d.function?.name === 'string') call.name += d.function.name;
    if (typeof d.function?.arguments === 'string') call.arguments += d.function.arguments;
  }
}

/** Runs the calls and returns the assistant turn plus one `tool` message per call, in order. */
export async function toolTurn(tools: ProviderTools, text: string, calls: ToolCall[]): Promise<WireMessage[]> {
  const present = calls.filter(Boolean).map((c, i) => ({ ...c, id: c.id || `call_${i}` }));
  const out: WireMessage[] = [
    {
      role: 'assistant',
      content: text || null,
      tool_calls: present.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })),
    },
  ];
  for (const c of present) {
    let args: unknown;
    try {
      args = c.arguments.trim() ? JSON.parse(c.arguments) : {};
    } catch {
      out.push({ role: 'tool', tool_call_id: c.id, content: JSON.stringify({ ok: false, error: { code: 'WAGATE_ERR_BAD_REQUEST', message: 'arguments are not JSON' } }) });
      continue;
    }
    out.push({ role: 'tool', tool_call_id: c.id, content: JSON.stringify(await tools.call(c.name, args)) });
  }
  return out;
}
