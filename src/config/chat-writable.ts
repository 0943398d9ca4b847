/**
 * Which keys `/config set|unset` from chat may change (SPEC §2, README "Config
 * from chat"). Anyone in `allowFrom` counts as an owner there, so chat gets only
 * behaviour keys: policies, allowlists, prefixes, chunking, ack reactions, read
 * receipts, history limits, heartbeat timing and target. Everything that picks
 * code, providers, endpoints, files, ports, binds, tokens or resource limits
 * (`agents.*.model`, `gateway.*`, `authDir`, `logging.*`, `session.*`, `web.*`,
 * `mediaMaxMb`, …) is changed in the config file only.
 *
 * Left out on purpose:
 * - `mentionPatterns`: regexes run on every group message on the event loop; one
 *   like `(a+)+$` hangs the gateway (ReDoS), and there is no safe-regex check;
 * - `heartbeat.model`, `heartbeat.prompt`, `heartbeat.session`: code and prompts;
 * - `accounts.<id>.enabled|name|authDir` and new accounts: an edit under
 *   `accounts.<id>` needs that account to be in the file already;
 * - `configWrites`, `commands.config`: the switches of this very feature.
 *
 * A path is writable when it is one of the patterns or inside one (a list item of
 * `allowFrom`, a group under `groups`). A parent (`channels.whatsapp`, `agents`)
 * is never writable: setting or unsetting it as a whole would smuggle in or drop
 * keys that are not on the list.
 */
import { formatKeyPath, getAt, SECRET_KEY_NAME, type KeyPath } from './key-path.js';

/** Per-account behaviour keys, writable at `channels.whatsapp` and `channels.whatsapp.accounts.<id>`. */
const WHATSAPP_KEYS = [
  'dmPolicy',
  'groupPolicy',
  'allowFrom',
  'groupAllowFrom',
  'groups',
  'selfChatMode',
  'historyLimit',
  'dmHistoryLimit',
  'dms',
  'textChunkLimit',
  'chunkMode',
  'messagePrefix',
  'ackReaction',
  'sendReadReceipts',
  'actions',
] as const;

const HEARTBEAT_KEYS = ['every', 'target', 'to'] as const;

/** A pattern segment: a literal key, ANY_KEY (an account id) or ANY_INDEX (a list index). */
const ANY_KEY = Symbol('<id>');
const ANY_INDEX = Symbol('<n>');
type Segment = string | typeof ANY_KEY | typeof ANY_INDEX;

const ACCOUNT: Segment[] = ['channels', 'whatsapp', 'accounts', ANY_KEY];

const PATTERNS: readonly Segment[][] = [
  ...WHATSAPP_KEYS.map((k): Segment[] => ['channels', 'whatsapp', k]),
  ...WHATSAPP_KEYS.map((k): Segment[] => [...ACCOUNT, k]),
  ['messages', 'responsePrefix'],
  ['messages', 'groupChat', 'historyLimit'],
  ...HEARTBEAT_KEYS.map((k): Segment[] => ['agents', 'defaults', 'heartbeat', k]),
  ...HEARTBEAT_KEYS.map((k): Segment[] => ['agents', 'list', ANY_INDEX, 'heartbeat', k]),
];

function showPattern(p: readonly Segment[]): string {
  let out = '';
  for (const seg of p) {
    if (seg === ANY_INDEX) out += '[<n>]';
    else if (seg === ANY_KEY) out += '.<id>';
    else out += out ? `.${seg}` : seg;
  }
  return out;
}

/** The writable keys as the README lists them (`channels.whatsapp.accounts.<id>.dmPolicy`). */
export const CHAT_WRITABLE_KEYS: readonly string[] = PATTERNS.map(showPattern);

function segMatches(pattern: Segment, seg: string | number): boolean {
  if (pattern === ANY_INDEX) return typeof seg === 'number';
  if (pattern === ANY_KEY) return typeof seg === 'string';
  return seg === pattern;
}

/** True when `keys` is a writable key or inside one. */
export function isChatWritable(keys: KeyPath): boolean {
  return PATTERNS.some((p) => keys.length >= p.length && p.every((seg, i) => segMatches(seg, keys[i] as string | number)));
}

/**
 * Why `/config` from chat may not change `keys` in the file `raw`, or null when
 * it may. The text names the key and says where it can be changed.
 */
export function chatWriteRefusal(keys: KeyPath, raw: unknown): string | null {
  const shown = formatKeyPath(keys);
  if (!isChatWritable(keys)) {
    return (
      `${shown} can only be changed in the config file, not from chat. From chat you can change ` +
      'policies, allowlists, prefixes, chunking, ack reactions, read receipts, history limits and heartbeat timing and target.'
    );
  }
  if (keys[2] === 'accounts') {
    const account = keys.slice(0, 4);
    const entry = getAt(raw, account);
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      return `${formatKeyPath(account)} is not in the config file; accounts are added in the config file, not from chat.`;
    }
  }
  return null;
}

/** True when `keys` or any key inside `value` is secret-named (values shown as hidden). */
export function touchesSecret(keys: KeyPath, value?: unknown): boolean {
  if (keys.some((k) => typeof k === 'string' && SECRET_KEY_NAME.test(k))) return true;
  const stack: unknown[] = [value];
  for (let seen = 0; stack.length && seen < 10_000; seen++) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    for (const [k, inner] of Object.entries(v as Record<string, unknown>)) {
      if (!Array.isArray(v) && SECRET_KEY_NAME.test(k)) return true;
      stack.push(inner);
    }
  }
  return false;
}

/** For a value that did not parse: does its text name a secret key (`token: …`, `"apiKey":`)? */
export function textNamesSecret(text: string): boolean {
  return /(token|key|secret|passw)\w*['"]?\s*:/i.test(text);
}
