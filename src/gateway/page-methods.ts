/**
 * Control methods the control page needs beyond status and login (they work
 * for any control client): `account.reconnect`, `account.graph`, the pairing
 * requests, `logs.tail`, `config.get`, `cluster.nodes` (the Nodes view) and `dashboard.link`.
 */
import { accountMachineGraph } from '../../machines/index.js';
import { loadConfig } from '../config/index.js';
import { SECRET_KEY_NAME } from '../config/key-path.js';
import { toErrorInfo, WagateError } from '../errors.js';
import type { LogTap } from '../log-tap.js';
import { createPairingStore } from '../pairing/store.js';
import type { Gateway } from './gateway.js';
import type { ControlRegistry } from './methods.js';
import type { WebSessions } from './web-sessions.js';

export interface PageMethodDeps {
  configPath: string;
  env: Record<string, string | undefined>;
  bind: string;
  sessions: WebSessions;
  logTap: LogTap | null;
  now: () => number;
}

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export const REDACTED = '[redacted]';

const isUrl = (v: unknown): boolean => typeof v === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(v);

/**
 * A copy of `value` with secrets replaced: keys naming a token/key/secret/password, and
 * passwords in URLs (a secret-named key holding a URL, such as `proxy`, keeps its host
 * and user so the page stays useful; only the password goes).
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 64) return REDACTED;
  if (typeof value === 'string') return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:\s]*):[^/@\s]*@/i, `$1:${REDACTED}@`);
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        SECRET_KEY_NAME.test(k) && v !== undefined && v !== null && typeof v !== 'object' && !isUrl(v) ? REDACTED : redactSecrets(v, depth + 1),
      ]),
    );
  }
  return value;
}

/** Does a JSON log line pass the filters? Non-JSON lines pass only without filters. */
export function logLineMatches(line: string, f: { subsystem?: string; accountId?: string; level?: keyof typeof LEVELS }): boolean {
  if (!f.subsystem && !f.accountId && !f.level) return true;
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return false;
  }
  if (f.subsystem && e.subsystem !== f.subsystem) return false;
  if (f.accountId && e.accountId !== f.accountId) return false;
  if (f.level && !(typeof e.level === 'number' && e.level >= LEVELS[f.level])) return false;
  return true;
}

/** The address a browser on this machine reaches the gateway at. */
export function pageHost(bind: string): string {
  if (bind === '0.0.0.0' || bind === '::' || bind === '[::]') return '127.0.0.1';
  return bind.includes(':') && !bind.startsWith('[') ? `[${bind}]` : bind;
}

export function registerPageMethods(methods: ControlRegistry, gw: Gateway, deps: PageMethodDeps): void {
  const pairing = createPairingStore({ store: gw.store, now: deps.now });

  methods.register('account.reconnect', ({ accountId }) => {
    const rt = gw.accounts.get(accountId);
    if (!rt) throw new WagateError('WAGATE_ERR_UNKNOWN_ACCOUNT', `Account "${accountId}" is not running (unknown or disabled).`);
    if (rt.state !== 'degraded' || !rt.context.linked) {
      throw new WagateError(
        'WAGATE_ERR_BAD_REQUEST',
        `Account ${accountId} is ${rt.state}${rt.state === 'degraded' ? ' and not linked (link it again)' : ''}; reconnect only leaves degraded (it reconnects by itself otherwise).`,
      );
    }
    rt.reconnect();
    return { accountId, state: rt.state };
  });

  methods.register('account.graph', () => accountMachineGraph());

  methods.register('pairing.list', async () => ({ requests: await pairing.list() }));
  methods.register('pairing.approve', ({ code }) => pairing.approve(code));
  methods.register('pairing.reject', ({ code }) => pairing.reject(code));

  methods.register('logs.tail', ({ subsystem, accountId, level, limit, follow }, ctx) => {
    const tap = deps.logTap;
    if (!tap) return { available: false, lines: [] };
    const f = { ...(subsystem ? { subsystem } : {}), ...(accountId ? { accountId } : {}), ...(level ? { level } : {}) };
    const lines = tap.recent().filter((l) => logLineMatches(l, f)).slice(-(limit ?? 200));
    if (follow && !ctx.signal.aborted) {
      const off = tap.subscribe((line) => {
        if (logLineMatches(line, f)) ctx.emit('log', { line });
      });
      ctx.signal.addEventListener('abort', () => off(), { once: true });
    }
    return { available: true, lines };
  });

  methods.register('config.get', () => {
    try {
      const loaded = loadConfig({ path: deps.configPath, env: deps.env });
      return { path: loaded.path, exists: loaded.exists, config: redactSecrets(loaded.config), error: null };
    } catch (err) {
      return { path: deps.configPath, exists: true, config: null, error: toErrorInfo(err) };
    }
  });

  methods.register('cluster.nodes', async () => ({ cluster: await gw.clusterView() }));

  methods.register('dashboard.link', () => {
    const { code, expiresAt } = deps.sessions.issueCode();
    return { url: `http://${pageHost(deps.bind)}:${gw.control.port}/#code=${code}`, expiresAt };
  });
}
