/**
 * The state dir's layout (SPEC §1): every file and folder the gateway keeps under
 * `<state>` ($WAGATE_HOME or ~/.wagate, resolved by config/paths.ts), named once.
 * Pure functions of the state dir (or of an auth dir); nothing here touches the disk.
 *
 *   <state>/wagate.json                          config (unless --config / $WAGATE_CONFIG)
 *   <state>/wagate.db (+ -wal, -shm)             the SQLite store (everything below marked
 *                                                "old" is imported into it once, then moved
 *                                                aside to `<name>.imported-<YYYYMMDD>`)
 *   <state>/gateway.token                        generated control token (0600)
 *   <state>/credentials/                         credentials; also the legacy auth dir
 *     creds.json (+ .bak)                        old: legacy single-account Baileys creds
 *     whatsapp/<accountId>/creds.json (+ .bak)   old: per-account Baileys auth dir
 *     whatsapp-pairing.json                      old: pending pairing requests
 *     whatsapp-allowFrom.json                    old: approved senders
 *     .whatsapp-pairing.lock                     old: the pairing files' lock (removed on import)
 *   <state>/whatsapp-dedupe/<accountId>.json     old: handled message keys
 *   <state>/whatsapp-activation.json             old: group activations (/activation)
 *   <state>/whatsapp-connections.json            old: connection history (offline catch-up)
 *   <state>/agents/<agentId>/sessions/           agent sessions (unless session.store)
 *   <state>/media/                               agent media (the first media root)
 *   <state>/media/inbound/                       downloaded inbound media
 *   <state>/logs/                                log files when the log dir is refused
 *
 * `isStateSecret` says which of these are never sent as media (src/media/access.ts).
 */
import path from 'node:path';

/** Names directly under the state dir (and inside an auth dir). */
export const CONFIG_FILE = 'wagate.json';
export const STORE_FILE = 'wagate.db';
export const TOKEN_FILE = 'gateway.token';
export const CREDENTIALS_DIR = 'credentials';
/** The prefix of every WhatsApp store file (state dir and credentials dir). */
export const WHATSAPP_FILE_PREFIX = 'whatsapp-';
export const DEDUPE_DIR = `${WHATSAPP_FILE_PREFIX}dedupe`;
export const ACTIVATION_FILE = `${WHATSAPP_FILE_PREFIX}activation.json`;
export const CONNECTION_HISTORY_FILE = `${WHATSAPP_FILE_PREFIX}connections.json`;
export const PAIRING_FILE = `${WHATSAPP_FILE_PREFIX}pairing.json`;
export const ALLOW_FROM_FILE = `${WHATSAPP_FILE_PREFIX}allowFrom.json`;
export const PAIRING_LOCK_FILE = `.${WHATSAPP_FILE_PREFIX}pairing.lock`;
export const AGENTS_DIR = 'agents';
export const SESSIONS_DIR = 'sessions';
export const MEDIA_DIR = 'media';
export const INBOUND_MEDIA_DIR = 'inbound';
export const LOGS_DIR = 'logs';
export const CREDS_FILE = 'creds.json';
export const CREDS_BACKUP_FILE = `${CREDS_FILE}.bak`;

/** `<state>/wagate.json`: the default config file. */
export function configFile(stateDir: string): string {
  return path.join(stateDir, CONFIG_FILE);
}

/** `<state>/wagate.db`: the SQLite store. */
export function storeFile(stateDir: string): string {
  return path.join(stateDir, STORE_FILE);
}

/** `<state>/gateway.token`: the generated control token. */
export function tokenFilePath(stateDir: string): string {
  return path.join(stateDir, TOKEN_FILE);
}

/** `<state>/credentials`. */
export function credentialsDir(stateDir: string): string {
  return path.join(stateDir, CREDENTIALS_DIR);
}

/** The default auth dir of one account: `<state>/credentials/whatsapp/<accountId>`. */
export function accountAuthDir(stateDir: string, accountId: string): string {
  return path.join(credentialsDir(stateDir), 'whatsapp', accountId);
}

/** The legacy auth dir (Baileys files directly in `credentials/`), used for `default` only. */
export function legacyAuthDir(stateDir: string): string {
  return credentialsDir(stateDir);
}

/** `creds.json` inside an auth dir. */
export function credsFile(authDir: string): string {
  return path.join(authDir, CREDS_FILE);
}

/** `creds.json.bak` beside `creds.json`. */
export function credsBackupFile(authDir: string): string {
  return path.join(authDir, CREDS_BACKUP_FILE);
}

/** `<state>/credentials/creds.json`: the legacy creds file. */
export function legacyCredsFile(stateDir: string): string {
  return credsFile(legacyAuthDir(stateDir));
}

/** Old pending pairing requests: `<state>/credentials/whatsapp-pairing.json`. */
export function pairingStorePath(stateDir: string): string {
  return path.join(credentialsDir(stateDir), PAIRING_FILE);
}

/** Old approved senders: `<state>/credentials/whatsapp-allowFrom.json`. */
export function allowFromStorePath(stateDir: string): string {
  return path.join(credentialsDir(stateDir), ALLOW_FROM_FILE);
}

/** The old pairing files' lock: `<state>/credentials/.whatsapp-pairing.lock`. */
export function pairingLockFile(stateDir: string): string {
  return path.join(credentialsDir(stateDir), PAIRING_LOCK_FILE);
}

/** `<state>/whatsapp-dedupe`. */
export function dedupeDir(stateDir: string): string {
  return path.join(stateDir, DEDUPE_DIR);
}

/** `<state>/whatsapp-dedupe/<accountId>.json`. */
export function dedupeStorePath(stateDir: string, accountId: string): string {
  return path.join(dedupeDir(stateDir), `${accountId}.json`);
}

/** `<state>/whatsapp-activation.json`. */
export function activationStorePath(stateDir: string): string {
  return path.join(stateDir, ACTIVATION_FILE);
}

/** `<state>/whatsapp-connections.json`. */
export function connectionHistoryFile(stateDir: string): string {
  return path.join(stateDir, CONNECTION_HISTORY_FILE);
}

/** An agent's default session dir: `<state>/agents/<agentId>/sessions`. */
export function agentSessionsDir(stateDir: string, agentId: string): string {
  return path.join(stateDir, AGENTS_DIR, agentId, SESSIONS_DIR);
}

/** `<state>/media`: the default (and first) root of agent media. */
export function mediaDir(stateDir: string): string {
  return path.join(stateDir, MEDIA_DIR);
}

/** `<state>/media/inbound`: downloaded inbound media. */
export function inboundMediaDir(stateDir: string): string {
  return path.join(mediaDir(stateDir), INBOUND_MEDIA_DIR);
}

/** `<state>/logs`: where the logs go when the log directory is refused. */
export function fallbackLogDir(stateDir: string): string {
  return path.join(stateDir, LOGS_DIR);
}

/**
 * Entries directly under the state dir that hold secrets: the credentials dir, the
 * token, every `whatsapp-*` store, the config file and the SQLite store. A `prefix`
 * entry also covers its temp, backup and WAL siblings (`wagate.json.bak`, `wagate.db-wal`).
 */
export const STATE_SECRETS: readonly { name: string; prefix: boolean }[] = [
  { name: CREDENTIALS_DIR, prefix: false },
  { name: TOKEN_FILE, prefix: false },
  { name: WHATSAPP_FILE_PREFIX, prefix: true },
  { name: CONFIG_FILE, prefix: true },
  { name: STORE_FILE, prefix: true },
];

/**
 * Whether `rel` (a path relative to the state dir) is one of the gateway's secrets:
 * under one of `STATE_SECRETS`, or under an agent's default session dir.
 */
export function isStateSecret(rel: string): boolean {
  const [first = '', , third] = rel.split(path.sep);
  if (first === AGENTS_DIR) return third === SESSIONS_DIR;
  return STATE_SECRETS.some((s) => (s.prefix ? first.startsWith(s.name) : first === s.name));
}
