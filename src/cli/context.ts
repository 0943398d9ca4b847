/**
 * What every command needs: the loaded config, the state dir, a logger, and a
 * way to reach the running gateway.
 */
import type { Logger } from 'pino';
import { loadConfig, parseConfigText, readConfigText, resolveConfigPath, stateDir as resolveStateDir, type WagateConfig } from '../config/index.js';
import { StoreSection } from '../config/schema.js';
import { connectControl, type ControlClient } from '../gateway/control-client.js';
import { readTokenFile } from '../gateway/token.js';
import { createRootLogger, type RootLogger } from '../log.js';
import type { LogTap } from '../log-tap.js';
import type { Store } from '../store/port.js';
import { openStore, storeTarget, type StoreTarget } from '../store/open.js';
import type { CliIO } from './io.js';

export interface GlobalOptions {
  config?: string;
}

export interface CliContext {
  io: CliIO;
  config: WagateConfig;
  configPath: string;
  configExists: boolean;
  stateDir: string;
}

export async function loadContext(io: CliIO, opts: GlobalOptions): Promise<CliContext> {
  const loaded = await loadConfig({ path: opts.config, env: io.env });
  return {
    io,
    config: loaded.config,
    configPath: loaded.path,
    configExists: loaded.exists,
    stateDir: resolveStateDir(io.env),
  };
}

/** The control URL of the gateway this config describes. */
export function controlUrl(config: WagateConfig): string {
  const host = config.gateway.bind === '0.0.0.0' ? '127.0.0.1' : config.gateway.bind;
  const h = host.includes(':') ? `[${host}]` : host;
  return `ws://${h}:${config.gateway.port}`;
}

/** Connect to the running gateway (token from the config or the token file). */
export function connectGateway(ctx: CliContext): Promise<ControlClient> {
  const token = ctx.config.gateway.auth.token ?? readTokenFile(ctx.stateDir);
  return connectControl({ url: controlUrl(ctx.config), token, timeoutMs: 3000 });
}

/** The process's root logger for long-running commands (gateway, login). */
export function openLogger(ctx: CliContext, pretty?: boolean, tap?: LogTap): RootLogger {
  return createRootLogger({ level: ctx.config.logging.level, file: ctx.config.logging.file, stateDir: ctx.stateDir, pretty, ...(tap ? { tap } : {}) });
}

export type { Logger };

/** The store this context's config and environment name (`store`, `$WAGATE_STORE_URL`, else `<state>/wagate.db`). */
export function contextStoreTarget(ctx: Pick<CliContext, 'config' | 'stateDir' | 'io'>): StoreTarget {
  return storeTarget(ctx.config.store, ctx.stateDir, ctx.io.env);
}

/**
 * The store target from the config file's `store` section alone, for commands that
 * must work with a broken config (`wagate pairing`): the rest of the file is not
 * validated; a file that does not parse counts as having no `store` section (SQLite
 * unless `$WAGATE_STORE_URL` is set).
 */
export function lenientStoreTarget(env: CliIO['env'], stateDir: string, configPath?: string): StoreTarget {
  let settings: WagateConfig['store'] | undefined;
  try {
    const file = resolveConfigPath(configPath, env);
    const text = readConfigText(file);
    const raw = text === null ? undefined : parseConfigText(text, file);
    const section = raw && typeof raw === 'object' ? (raw as Record<string, unknown>).store : undefined;
    const parsed = StoreSection.safeParse(section ?? {});
    if (parsed.success) settings = parsed.data;
  } catch {
    // no readable config: the defaults
  }
  return storeTarget(settings, stateDir, env);
}

/**
 * Run `fn` with the configured store open (`<state>/wagate.db` unless the config or
 * `$WAGATE_STORE_URL` names PostgreSQL), closed when it ends: the one way a command
 * without a running gateway (in-process login and logout, offline status, doctor,
 * pairing, sessions) opens the store, once per process.
 */
export async function withStore<T>(where: Pick<CliContext, 'config' | 'stateDir' | 'io'> | StoreTarget, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore('kind' in where ? where : contextStoreTarget(where));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
