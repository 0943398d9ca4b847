/**
 * The model provider port (SPEC §6): one call per agent run. Providers are
 * stateless between runs; the session history comes in with each call.
 */
import type { SessionEntry } from '../session-store.js';

/** What the agent is given about the message: `Body` plus envelope fields (envelope.ts `Envelope`). */
export interface EnvelopeLike {
  Body: string;
  /** What the sender wrote, without the envelope header. */
  RawBody?: string;
}

export interface ProviderRunInput {
  agentId: string;
  sessionKey: string;
  envelope: EnvelopeLike;
  /** Earlier turns of the session, oldest first (the current message excluded). */
  history: SessionEntry[];
  /** Aborted on shutdown or cancel: the provider stops and rejects. */
  signal: AbortSignal;
  /** Streaming providers report text as it arrives. */
  onDelta?: (delta: string) => void;
}

export interface ReplyMedia {
  path?: string;
  url?: string;
  caption?: string;
}

export interface ProviderResult {
  text: string;
  media?: ReplyMedia[];
}

export interface AgentProvider {
  readonly name: 'echo' | 'command' | 'openai';
  run(input: ProviderRunInput): Promise<ProviderResult>;
}

/** A provider run failed (timeout, exit code, HTTP status, bad output, abort). */
export class ProviderError extends Error {
  constructor(
    readonly provider: AgentProvider['name'],
    message: string,
    readonly detail: { status?: number; exitCode?: number | null; stderr?: string; body?: string; timedOut?: boolean } = {},
    options?: { cause?: unknown },
  ) {
    super(`${provider} provider: ${message}`, options);
    this.name = 'ProviderError';
  }
}

/** Parse a provider's raw reply: JSON `{text, media}` is accepted, anything else is text. */
export function parseReply(raw: string): ProviderResult {
  const text = raw.trim();
  if (text.startsWith('{')) {
    try {
      const v = JSON.parse(text) as { text?: unknown; media?: unknown };
      if (typeof v.text === 'string') {
        const media = Array.isArray(v.media) ? v.media.filter(isMedia) : undefined;
        return media && media.length ? { text: v.text.trim(), media } : { text: v.text.trim() };
      }
    } catch {
      // not JSON: plain text
    }
  }
  return { text };
}

function isMedia(v: unknown): v is ReplyMedia {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  const src = typeof m.path === 'string' || typeof m.url === 'string';
  return src && (m.caption === undefined || typeof m.caption === 'string');
}
