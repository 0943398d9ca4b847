/**
 * Tools for `command` providers (SPEC §8): the program's JSON reply may carry
 *
 *   { "text": "…", "actions": [ { "tool": "whatsapp", "action": "react",
 *       "chatJid": "<envelope.ChatJid>", "messageId": "<envelope.MessageId>", "emoji": "👍" } ] }
 *
 * Each action runs in order before the reply is delivered (a failed action is
 * logged by the tools and does not stop the others or the reply). A reply with
 * `actions` and no `text` delivers nothing.
 */
import { parseReply, type ProviderResult } from './providers/types.js';
import type { ProviderTools } from './tools.js';

export async function commandReply(raw: string, tools: ProviderTools | undefined): Promise<ProviderResult> {
  const actions = actionsOf(raw);
  if (!actions) return parseReply(raw);
  for (const a of actions) {
    if (!tools) break;
    const { tool, ...args } = a;
    await tools.call(typeof tool === 'string' ? tool : '', args);
  }
  const reply = parseReply(raw);
  return reply.text.trimStart().startsWith('{') ? { text: '' } : reply;
}

/** The `actions` list of a JSON reply, or null when the reply has none. */
function actionsOf(raw: string): Record<string, unknown>[] | null {
  const text = raw.trim();
  if (!text.startsWith('{')) return null;
  try {
    const v = JSON.parse(text) as { actions?: unknown };
    if (!Array.isArray(v.actions)) return null;
    return v.actions.filter((a): a is Record<string, unknown> => typeof a === 'object' && a !== null && !Array.isArray(a));
  } catch {
    return null;
  }
}
