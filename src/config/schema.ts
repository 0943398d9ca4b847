/**
 * The whole config file (SPEC §11). Every object is strict: an unknown key is an
 * error, top level included. Absent keys get their defaults, so a parsed
 * `WagateConfig` is complete. Cross-field rules live in `rules.ts`; use
 * `validateConfig()` (validate.ts), not this schema alone.
 */
import { z } from 'zod';
import { AgentsSection, BindingsSection, MessagesSection } from './schema-agents.js';
import { bool, clamped, duration, exp, host, id, int, MAX_DURATION_MS, nonEmptyStr, str, urlWith } from './schema-common.js';
import { ChannelsSection } from './schema-whatsapp.js';

export const WHATSAPP_WEB_URL = 'wss://web.whatsapp.com/ws/chat';
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const WS_URL = 'a ws:// or wss:// URL';
const HTTP_URL = 'an http:// or https:// URL';
/** Where WhatsApp Web's service worker says its current version (`client_revision`). */
export const WHATSAPP_WEB_VERSION_URL = 'https://web.whatsapp.com/sw.js';
const WEB_VERSION = 'the WhatsApp Web version as [2, 3000, N] (three integers, e.g. [2, 3000, 1027934701])';

/** `web.version`: a pinned WhatsApp Web version, `[2, 3000, N]`. */
const webVersion = () =>
  z.tuple(
    [
      z.literal(2, { error: exp(WEB_VERSION) }),
      z.literal(3000, { error: exp(WEB_VERSION) }),
      z.number({ error: exp(WEB_VERSION) }).int({ error: exp(WEB_VERSION) }).min(1, { error: exp(WEB_VERSION) }).max(Number.MAX_SAFE_INTEGER, { error: exp(WEB_VERSION) }),
    ],
    { error: exp(WEB_VERSION) },
  );

export const SessionSection = z.strictObject({
  /** `main`: all DMs of an agent share `agent:<agentId>:<mainKey>`; `per-sender`: one per sender. */
  scope: z.enum(['main', 'per-sender']).default('main'),
  /** After this much silence a DM session starts afresh; absent = never. */
  idle: duration().optional(),
  /** Session dir; absent = `<state>/agents/<agentId>/sessions`. `{agentId}` is replaced. */
  store: nonEmptyStr().optional(),
  mainKey: id().default('main'),
});

export const ReconnectSection = z.strictObject({
  initialMs: int(250).default(2000),
  /** Must be ≥ initialMs (rules.ts). */
  maxMs: int(250).default(30_000),
  factor: clamped(1.1, 10).default(1.8),
  jitter: clamped(0, 1).default(0.25),
  /** 0 = unlimited. */
  maxAttempts: int(0).default(12),
});

export const LedgerSection = z.strictObject({
  /** Inbound ledger entries older than this are pruned in the background (1 to 3650 days). */
  retentionDays: int(1, 3650).default(7),
});

export const WebSection = z.strictObject({
  enabled: bool().default(true),
  url: urlWith(['ws:', 'wss:'], WS_URL).default(WHATSAPP_WEB_URL),
  /** Up to 365 days (src/timers.ts chains timers past Node's 24.8-day limit). */
  heartbeatSeconds: int(1, MAX_DURATION_MS / 1000).default(60),
  catchUpMinutes: int(0).default(30),
  /** The device name announced at linking: the phone's Linked Devices lists it. */
  deviceName: nonEmptyStr().default('wagate'),
  /** Pin the WhatsApp Web version; absent = fetched from `versionUrl` (cached a day), else Baileys' bundled one. */
  version: webVersion().optional(),
  /** WhatsApp Web's `sw.js`, read for the current version (the simulator sets its own). */
  versionUrl: urlWith(['http:', 'https:'], HTTP_URL).default(WHATSAPP_WEB_VERSION_URL),
  reconnect: ReconnectSection.prefault({}),
  ledger: LedgerSection.prefault({}),
});

const ORIGIN_PATTERN = /^https?:\/\/[^/\s?#]+\/?$/i;
const ORIGIN_EXPECTED = 'an origin such as "http://localhost:3000" (scheme, host and port; no path)';

export const GatewaySection = z.strictObject({
  bind: host().default('127.0.0.1'),
  port: int(0, 65535).default(18789),
  auth: z.strictObject({ token: nonEmptyStr().optional() }).prefault({}),
  /** Browser origins (besides the gateway's own) allowed to open the control WebSocket. */
  allowedOrigins: z
    .array(z.string().regex(ORIGIN_PATTERN, { error: exp(ORIGIN_EXPECTED) }), { error: exp('a list of origins') })
    .default([]),
  /** On stop: how long agent runs and replies in flight may finish before the rest is left for the next start. */
  drainSeconds: int(0, 600).default(5),
});

export const LoggingSection = z.strictObject({
  level: z.enum(LOG_LEVELS).default('info'),
  /** Fixed log file; absent = `/tmp/wagate/wagate-YYYY-MM-DD.log` (daily). */
  file: nonEmptyStr().optional(),
});

export const MetricsSection = z.strictObject({
  /** `GET /metrics` without the control token; only with a loopback `gateway.bind` (rules.ts). */
  public: bool().default(false),
});

export const StoreSection = z.strictObject({
  /** Absent: `postgres` when a URL is given (`url` or $WAGATE_STORE_URL), else `sqlite` (src/store/open.ts). */
  kind: z.enum(['sqlite', 'postgres']).optional(),
  /** PostgreSQL only; $WAGATE_STORE_URL wins over it (the password need not be in this file). */
  url: urlWith(['postgres:', 'postgresql:'], 'a PostgreSQL URL such as "postgres://wagate@db.example:5432/wagate"').optional(),
});

/** Several gateway nodes on one PostgreSQL (src/cluster/lease-keeper.ts); absent = one node owns every account. */
export const ClusterSection = z.strictObject({
  /** This node's name, unique among the nodes sharing the database (it owns leases under it). */
  nodeId: id(),
  /** At most this many accounts on this node. */
  capacity: int(1).default(1000),
  /** A lease lasts this long unrenewed; renewed every third of it. A dead node's accounts move after it. */
  leaseSeconds: int(3, 3600).default(30),
});

export const MediaSection = z.strictObject({
  /** ffmpeg binary; absent = `ffmpeg` on PATH, else the one `npm ci` brings (src/media/ffmpeg.ts). */
  ffmpegPath: nonEmptyStr().optional(),
});

export const ConfigSchema = z.strictObject(
  {
    /** Editors' JSON-schema hint; ignored. */
    $schema: str().optional(),
    channels: ChannelsSection.prefault({}),
    agents: AgentsSection.prefault({}),
    bindings: BindingsSection,
    messages: MessagesSection.prefault({}),
    session: SessionSection.prefault({}),
    commands: z.strictObject({ config: bool().default(false) }).prefault({}),
    web: WebSection.prefault({}),
    gateway: GatewaySection.prefault({}),
    logging: LoggingSection.prefault({}),
    media: MediaSection.prefault({}),
    metrics: MetricsSection.prefault({}),
    store: StoreSection.prefault({}),
    cluster: ClusterSection.optional(),
  },
  { error: exp('an object such as { channels: { whatsapp: { … } } }') },
);

/** A fully defaulted config. */
export type WagateConfig = z.output<typeof ConfigSchema>;
/** A config as written in the file (every key optional). */
export type WagateConfigInput = z.input<typeof ConfigSchema>;
export type WhatsAppConfig = WagateConfig['channels']['whatsapp'];
export type ModelConfig = WagateConfig['agents']['defaults']['model'];
export type HeartbeatConfig = WagateConfig['agents']['defaults']['heartbeat'];
export type AgentEntryConfig = WagateConfig['agents']['list'][number];
export type ReconnectConfig = WagateConfig['web']['reconnect'];

/** The config with every default and nothing else (what a missing file means). */
export function defaultConfig(): WagateConfig {
  return ConfigSchema.parse({});
}
