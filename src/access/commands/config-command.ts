/**
 * `/config set <path> <json5-value>` and `/config unset <path>` from chat (SPEC §2).
 *
 * Only the keys of `src/config/chat-writable.ts` may be changed (behaviour keys:
 * policies, allowlists, prefixes, chunking, ack reactions, history limits, heartbeat
 * timing and target); any other key, and any parent of a listed key, is refused
 * with a reply saying it can only be changed in the config file. A value whose key
 * (or a key inside it) is named like a secret (token, key, secret, password) is
 * never echoed in the reply, and so never logged.
 *
 * The whole message must be the command. It is for the owner only (same owner
 * rule as `/activation`: `allowFrom` without `"*"`, else the linked E.164; the
 * linked number itself always), needs `commands.config: true` and is refused when
 * `channels.whatsapp.configWrites` is false. The write goes through
 * `setConfigValue` / `unsetConfigValue` (validated like a load, atomic, 0600); an
 * invalid write changes nothing and the reply carries the one-line error. The
 * running gateway keeps its loaded config: the reply says to restart.
 *
 * Where it applies: any DM the owner sends to the gateway (incl. the self-chat),
 * and groups that pass the group policy. A `fromMe` message in someone else's DM
 * (the owner typing to a contact from the phone) is not a command: it goes on as
 * an ordinary own message, so no reply lands in that contact's chat.
 */
import {
  chatWriteRefusal,
  formatKeyPath,
  isChatWritable,
  parseConfigText,
  parseConfigValue,
  parseKeyPath,
  readConfigText,
  setConfigValue,
  textNamesSecret,
  touchesSecret,
  unsetConfigValue,
  validateConfig,
  type AccountConfig,
  type WagateConfig,
} from '../../config/index.js';
import { getAt, type KeyPath } from '../../config/key-path.js';
import { isWagateError } from '../../errors.js';
import type { InboundMessage } from '../../ports/inbound.js';
import type { LinkedIdentity } from '../../ports/transport.js';
import { isOwner } from './activation-command.js';
import { groupAccess } from '../policy/group-policy.js';

export type ConfigCommand =
  | { op: 'set'; path: string; value: string }
  | { op: 'unset'; path: string }
  | { op: 'usage' };

export const CONFIG_USAGE = 'Usage: /config set <path> <json5-value> or /config unset <path>.';
const RESTART = 'Restart the gateway to apply it.';
const MAX_VALUE_CHARS = 120;

/** Smart quotes that phone keyboards put in place of the ASCII ones JSON5 needs. */
function straightenQuotes(s: string): string {
  return s.replace(/[\u201C\u201D\u201E\u201F\u2033]/g, '"').replace(/[\u2018\u2019\u201A\u201B\u2032]/g, "'");
}

/** Split off a key path: up to the first whitespace outside `[...]`. */
function splitPath(rest: string): [string, string] {
  let depth = 0;
  for (let i = 0; i < rest.length; i++) {
    const ch = rest[i] as string;
    if (ch === '[') depth += 1;
    else if (ch === ']') depth = Math.max(0, depth - 1);
    else if (depth === 0 && /\s/.test(ch)) return [rest.slice(0, i), rest.slice(i).trim()];
  }
  return [rest, ''];
}

/** The command when the whole message is `/config …`; else null. Bad arguments → usage. */
export function parseConfigCommand(text: string | null | undefined): ConfigCommand | null {
  const t = straightenQuotes((text ?? '').trim());
  const m = /^\/config(?:\s+([\s\S]*))?$/i.exec(t);
  if (!m) return null;
  const args = (m[1] ?? '').trim();
  const sub = /^(set|unset)(?:\s+([\s\S]*))?$/i.exec(args);
  if (!sub) return { op: 'usage' };
  const op = (sub[1] as string).toLowerCase();
  const [path, value] = splitPath((sub[2] ?? '').trim());
  if (!path) return { op: 'usage' };
  if (op === 'unset') return value ? { op: 'usage' } : { op: 'unset', path };
  return value ? { op: 'set', path, value } : { op: 'usage' };
}

/** The command this message carries, if `/config` applies in this chat (see the header). */
export function configCommandFor(account: AccountConfig, message: InboundMessage): ConfigCommand | null {
  if (message.kind !== 'text') return null;
  const command = parseConfigCommand(message.text);
  if (!command) return null;
  if (message.chatType === 'direct') return message.fromMe && !message.isSelfChat ? null : command;
  return groupAccess(account, message).ok ? command : null;
}

export interface ConfigCommandContext {
  /** The config file (`deps.configPath`). */
  file: string;
  /** The loaded config: `commands.config` and `channels.whatsapp.configWrites`. */
  config: WagateConfig;
  account: AccountConfig;
  identity: LinkedIdentity | null;
}

export interface ConfigCommandOutcome {
  /** `message.dropped` reason: 'config-command' (answered) or 'config-not-owner' (ignored). */
  reason: 'config-command' | 'config-not-owner';
  /** Text to send back to the chat; null = no reply (not the owner). */
  reply: string | null;
  /** True when the file was written. */
  changed: boolean;
}

function show(value: unknown): string {
  if (value === undefined) return 'not set';
  const s = JSON.stringify(value) ?? String(value);
  return s.length > MAX_VALUE_CHARS ? `${s.slice(0, MAX_VALUE_CHARS - 1)}…` : s;
}

/** The value in effect at `keys` before the edit: the file's, else the default; undefined when neither. */
function currentValue(file: string, keys: KeyPath): unknown {
  try {
    const text = readConfigText(file);
    const raw: unknown = text === null ? {} : parseConfigText(text, file);
    const inFile = getAt(raw, keys);
    return inFile !== undefined ? inFile : getAt(validateConfig(raw, file), keys);
  } catch {
    return undefined; // the edit itself reports what is wrong with the file
  }
}

function errorText(err: unknown): string {
  const msg = isWagateError(err) || err instanceof Error ? err.message : String(err);
  return `Config not changed: ${msg.split('\n')[0] ?? ''}`;
}

/** Check owner and flags, apply the edit, and say what happened. Never throws. */
export async function runConfigCommand(
  command: ConfigCommand,
  message: Pick<InboundMessage, 'from' | 'fromMe'>,
  ctx: ConfigCommandContext,
): Promise<ConfigCommandOutcome> {
  const answer = (reply: string, changed = false): ConfigCommandOutcome => ({ reason: 'config-command', reply, changed });
  if (!isOwner(message, ctx.account.allowFrom, ctx.identity)) return { reason: 'config-not-owner', reply: null, changed: false };
  if (!ctx.config.commands.config) return answer('Config writes are off (commands.config is false).');
  if (!ctx.config.channels.whatsapp.configWrites) {
    return answer('Config writes are off (channels.whatsapp.configWrites is false).');
  }
  if (command.op === 'usage') return answer(CONFIG_USAGE);
  let keys: KeyPath;
  try {
    keys = parseKeyPath(command.path);
  } catch (err) {
    return answer(`Config not changed: ${(err as Error).message}. ${CONFIG_USAGE}`);
  }
  const shown = formatKeyPath(keys);
  // The allowlist, checked before anything is read or parsed, so a refusal never echoes the value.
  if (!isChatWritable(keys)) return answer(`Config not changed: ${chatWriteRefusal(keys, {}) ?? shown}`);
  const secret = command.op === 'set' ? valueIsSecret(keys, command.value, ctx.file) : touchesSecret(keys);
  const was = secret ? undefined : currentValue(ctx.file, keys);
  const guard = (k: KeyPath, raw: unknown) => {
    const why = chatWriteRefusal(k, raw);
    if (why) throw new ChatRefusal(why);
  };
  try {
    if (command.op === 'unset') {
      const { removed } = await unsetConfigValue(ctx.file, command.path, { guard });
      if (!removed) return answer(`Config: ${shown} is not set in the file; nothing changed.`);
      return answer(`Config: unset ${shown} (was ${secret ? HIDDEN : show(was)}). ${RESTART}`, true);
    }
    await setConfigValue(ctx.file, command.path, command.value, { guard });
    if (secret) return answer(`Config: set ${shown} = ${HIDDEN}. ${RESTART}`, true);
    const now = parseConfigValue(command.value, ctx.file);
    return answer(`Config: set ${shown} = ${show(now)} (was ${show(was)}). ${RESTART}`, true);
  } catch (err) {
    if (err instanceof ChatRefusal) return answer(`Config not changed: ${err.message}`);
    if (secret) return answer(`Config not changed: the value for ${shown} is not valid (${HIDDEN}).`);
    return answer(errorText(err));
  }
}

/** Shown instead of a secret value, in replies and so in the log. */
const HIDDEN = 'value not shown: the key name says it is a secret';

/** A refusal by the chat allowlist (not a config error). */
class ChatRefusal extends Error {}

/** Is the value set at `keys` (or any key inside it) secret-named? */
function valueIsSecret(keys: KeyPath, text: string, file: string): boolean {
  try {
    return touchesSecret(keys, parseConfigValue(text, file));
  } catch {
    return touchesSecret(keys) || textNamesSecret(text);
  }
}
