/**
 * `agents`, `bindings` (SPEC §6, §9).
 *
 * Model shapes (`agents.defaults.model`, `agents.list[].model`, `heartbeat.model`):
 *   { provider: "echo" }                                  built-in, replies with the text
 *   { provider: "command", command: ["prog", "arg"…],     runs argv (no shell), message on
 *     timeoutMs = 120000 }                                stdin, reply = stdout
 *   { provider: "openai", baseUrl: "https://…/v1",        any OpenAI-compatible
 *     model: "gpt-4o-mini", apiKeyEnv?: "OPENAI_API_KEY", chat-completions endpoint;
 *     systemPrompt?: "…", timeoutMs = 120000 }            the key is read from that env var
 *
 * Heartbeat (`agents.defaults.heartbeat`, `agents.list[].heartbeat` overrides it):
 *   every?   duration ("30m"); absent = no heartbeat
 *   model?   a model shape; absent = the agent's model
 *   target   "last" (last used chat, default) | "whatsapp" (send to `to`) | "none"
 *   to?      E.164 or JID, used by target "whatsapp"
 *   session? session key to run in; absent = the agent's main session
 *   prompt   default HEARTBEAT_PROMPT
 */
import { z } from 'zod';
import { bool, duration, exp, id, int, MAX_DURATION_MS, nonEmptyStr, positive, str, stringList, urlWith } from './schema-common.js';

export const HEARTBEAT_PROMPT =
  'Read HEARTBEAT.md if it exists (workspace context). Follow it strictly. Do not infer or ' +
  'repeat old tasks from prior chats. If nothing needs attention, reply HEARTBEAT_OK.';

export const DEFAULT_MODEL_TIMEOUT_MS = 120_000;

const HTTP_URL = 'an http(s) URL such as "https://api.openai.com/v1"';

const ENV_NAME = 'an environment variable name such as "OPENAI_API_KEY"';

export const EchoModel = z.strictObject({ provider: z.literal('echo') });

export const CommandModel = z.strictObject({
  provider: z.literal('command'),
  command: z
    .array(nonEmptyStr(), { error: exp('a list such as ["my-agent", "--flag"]') })
    .min(1, { error: exp('a list with the program first, e.g. ["my-agent"]') }),
  timeoutMs: int(1, MAX_DURATION_MS).default(DEFAULT_MODEL_TIMEOUT_MS),
});

export const OpenAiModel = z.strictObject({
  provider: z.literal('openai'),
  baseUrl: urlWith(['http:', 'https:'], HTTP_URL),
  model: nonEmptyStr(),
  apiKeyEnv: z
    .string({ error: exp(ENV_NAME) })
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: exp(ENV_NAME) })
    .optional(),
  systemPrompt: str().optional(),
  timeoutMs: int(1, MAX_DURATION_MS).default(DEFAULT_MODEL_TIMEOUT_MS),
});

export const Model = z.discriminatedUnion('provider', [EchoModel, CommandModel, OpenAiModel], {
  error: exp('an object with provider "echo", "command" or "openai"'),
});

export const HEARTBEAT_TARGETS = ['last', 'whatsapp', 'none'] as const;

const heartbeatShape = {
  every: duration(),
  model: Model,
  target: z.enum(HEARTBEAT_TARGETS),
  to: nonEmptyStr(),
  session: nonEmptyStr(),
  prompt: nonEmptyStr(),
};

/** `agents.list[].heartbeat`: overrides of the defaults, all optional. */
export const HeartbeatOverride = z.strictObject(heartbeatShape).partial();

/** `agents.defaults.heartbeat`. */
export const HeartbeatDefaults = z.strictObject({
  every: heartbeatShape.every.optional(),
  model: Model.optional(),
  target: heartbeatShape.target.default('last'),
  to: heartbeatShape.to.optional(),
  session: heartbeatShape.session.optional(),
  prompt: heartbeatShape.prompt.default(HEARTBEAT_PROMPT),
});

export const AgentEntry = z.strictObject({
  id: id(),
  identity: z.strictObject({ name: str().optional() }).prefault({}),
  /** Absent = `agents.defaults.model`. */
  model: Model.optional(),
  /** Regexes (compiled with flag "i"); absent = `messages.groupChat.mentionPatterns`. */
  groupChat: z.strictObject({ mentionPatterns: stringList().optional() }).prefault({}),
  heartbeat: HeartbeatOverride.optional(),
});

export const AgentsSection = z.strictObject({
  defaults: z
    .strictObject({
      /** Per-item cap for outbound media (MB). */
      mediaMaxMb: positive().default(5),
      /** More folders agent media paths may come from, besides `<state>/media` (`~` expands; relative to the state dir). */
      mediaRoots: z.array(nonEmptyStr(), { error: exp('a list of folders such as ["~/agent-out"]') }).default([]),
      /** Agent media URLs may reach loopback, private, link-local and metadata addresses. */
      mediaAllowPrivateUrls: bool().default(false),
      /** Model of agents that name none. */
      model: Model.default({ provider: 'echo' }),
      heartbeat: HeartbeatDefaults.prefault({}),
    })
    .prefault({}),
  /** Empty = one implicit agent `main` (see agents.ts). */
  list: z.array(AgentEntry, { error: exp('a list of agents') }).default([]),
});

/** Account → agent. Accounts without a binding use the first agent. */
export const Binding = z.strictObject({ accountId: id(), agentId: id() });
export const BindingsSection = z.array(Binding, { error: exp('a list of {accountId, agentId}') }).default([]);

/** `messages` (shared across channels). */
export const MessagesSection = z.strictObject({
  /** Added to the first chunk of each reply; `""` removes the self-chat `[name]` prefix. */
  responsePrefix: str().optional(),
  groupChat: z
    .strictObject({
      historyLimit: int(0).optional(),
      mentionPatterns: stringList().optional(),
    })
    .prefault({}),
  /** Accepted for compatibility and ignored for WhatsApp (use channels.whatsapp.ackReaction). */
  ackReaction: z.unknown().optional(),
});
