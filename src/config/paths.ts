/**
 * Where wagate keeps its files (SPEC §1). Pure functions: the environment and the
 * home directory come in as parameters (defaults: `process.env`, `os.homedir()`),
 * so tests never touch the real `~/.wagate`. This module finds the state dir and the
 * config file; what lies inside the state dir is named in src/state-layout.ts.
 *
 *   state dir     $WAGATE_HOME or ~/.wagate
 *   config        --config > $WAGATE_CONFIG > <state>/wagate.json
 *   log file      /tmp/wagate/wagate-YYYY-MM-DD.log (else <state>/logs/, see src/log-dir.ts)
 *
 * The `(env, homedir)` helpers below are the state-layout names for the state dir
 * they resolve (for the CLI, which starts from the environment).
 */
import os from 'node:os';
import path from 'node:path';
import { dailyLogPath, DEFAULT_LOG_DIR } from '../log.js';
import * as layout from '../state-layout.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** Expand a leading `~` (alone or `~/…`) to the home directory. */
export function expandHome(p: string, homedir: string = os.homedir()): string {
  if (p === '~') return homedir;
  if (p.startsWith('~/') || p.startsWith(`~${path.sep}`)) return path.join(homedir, p.slice(2));
  return p;
}

/**
 * Resolve a user-given path: `~` expands to the home directory, a relative path is
 * taken relative to `base` (the state dir for paths inside the config).
 */
export function resolveUserPath(p: string, base: string, homedir: string = os.homedir()): string {
  return path.resolve(base, expandHome(p, homedir));
}

/** The state dir: `$WAGATE_HOME` (an empty value counts as unset), else `~/.wagate`. */
export function stateDir(env: Env = process.env, homedir: string = os.homedir()): string {
  const fromEnv = env.WAGATE_HOME?.trim();
  if (fromEnv) return path.resolve(expandHome(fromEnv, homedir));
  return path.join(homedir, '.wagate');
}

/** The config file: the `--config` value > `$WAGATE_CONFIG` > `<state>/wagate.json`. */
export function resolveConfigPath(
  flag?: string,
  env: Env = process.env,
  homedir: string = os.homedir(),
): string {
  const explicit = flag?.trim() || env.WAGATE_CONFIG?.trim();
  if (explicit) return path.resolve(expandHome(explicit, homedir));
  return layout.configFile(stateDir(env, homedir));
}

/** `<state>/credentials`: also the legacy single-account Baileys auth dir. */
export function credentialsDir(env: Env = process.env, homedir: string = os.homedir()): string {
  return layout.credentialsDir(stateDir(env, homedir));
}

/** The default auth dir of one account: `<state>/credentials/whatsapp/<accountId>`. */
export function whatsappAuthDir(
  accountId: string,
  env: Env = process.env,
  homedir: string = os.homedir(),
): string {
  return layout.accountAuthDir(stateDir(env, homedir), accountId);
}

/** The legacy auth dir (Baileys files directly in `credentials/`), used for `default` only. */
export function legacyAuthDir(env: Env = process.env, homedir: string = os.homedir()): string {
  return layout.legacyAuthDir(stateDir(env, homedir));
}

/** `<state>/credentials/creds.json`: the legacy creds file. */
export function legacyCredsPath(env: Env = process.env, homedir: string = os.homedir()): string {
  return layout.legacyCredsFile(stateDir(env, homedir));
}

/** `creds.json` inside an auth dir. */
export function credsPath(authDir: string): string {
  return layout.credsFile(authDir);
}

/** `creds.json.bak` beside `creds.json`. */
export function credsBackupPath(authDir: string): string {
  return layout.credsBackupFile(authDir);
}

/** An agent's session store: `<state>/agents/<agentId>/sessions`. */
export function agentSessionsDir(
  agentId: string,
  env: Env = process.env,
  homedir: string = os.homedir(),
): string {
  return layout.agentSessionsDir(stateDir(env, homedir), agentId);
}

/** The default log file for time `now`: `/tmp/wagate/wagate-YYYY-MM-DD.log` (local date). */
export function defaultLogFile(now: number): string {
  return dailyLogPath(DEFAULT_LOG_DIR, now);
}
