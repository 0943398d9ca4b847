/**
 * `wagate doctor [--json] [--fix]`: checks the config, the state dir and token
 * file, the store, each enabled account's creds, old auth dirs, which ffmpeg is
 * used (and where it came from), whether the gateway answers, and (when it does) each account's state. Every check says
 * `ok | warn | fail` and, when not ok, the fix. Exit 1 when any check fails.
 */
import type { Command } from 'commander';
import { defaultAccountId, resolveAccounts, stateDir as resolveStateDir, type WagateConfig } from '../config/index.js';
import { isWagateError } from '../errors.js';
import type { Store } from '../store/port.js';
import { storeTarget } from '../store/open.js';
import { connectControl } from '../gateway/control-client.js';
import type { AccountStatus } from '../gateway/control-methods.js';
import { readTokenFile } from '../gateway/token.js';
import { controlUrl } from './context.js';
import {
  accountDirs,
  checkConfig,
  checkCreds,
  checkFfmpeg,
  checkImported,
  checkStateDir,
  checkStore,
  checkTokenFile,
  type CheckResult,
} from './doctor-checks.js';
import { checkProxies } from './doctor-proxy.js';
import { checkWebVersion } from './doctor-web-version.js';
import { printJson, type CliIO } from './io.js';
import { action, type CommandDeps } from './command.js';
import { fixHint } from './status-text.js';

export type { CheckResult, CheckStatus } from './doctor-checks.js';

export interface DoctorOptions {
  configPath?: string;
  fix?: boolean;
  /** Control connection timeout (default 3000 ms). */
  timeoutMs?: number;
}

export interface DoctorReport {
  ok: boolean;
  checks: CheckResult[];
}

/** Run `check`, turning an unexpected throw into a failed check with the error's message. */
async function guarded(id: string, check: () => Promise<CheckResult | CheckResult[]>): Promise<CheckResult[]> {
  try {
    const r = await check();
    return Array.isArray(r) ? r : [r];
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return [{ id, status: 'fail', message, fix: 'see the message; then run `wagate doctor` again' }];
  }
}

interface GatewayProbe {
  result: CheckResult;
  accounts: AccountStatus[] | null;
}

/** 5. Is the gateway there, does it take our token; its per-account status when it does. */
export async function probeGateway(config: WagateConfig, stateDir: string, timeoutMs: number): Promise<GatewayProbe> {
  const id = 'gateway';
  const url = controlUrl(config);
  const fromConfig = Boolean(config.gateway.auth.token);
  try {
    const token = config.gateway.auth.token ?? readTokenFile(stateDir);
    const client = await connectControl({ url, token, timeoutMs, clientName: 'wagate-doctor' });
    try {
      const res = await client.request('status', {});
      return { result: { id, status: 'ok', message: `gateway reachable at ${url}` }, accounts: res.accounts };
    } finally {
      client.close();
    }
  } catch (err) {
    if (isWagateError(err) && err.code === 'WAGATE_ERR_GATEWAY_UNREACHABLE') {
      return { result: { id, status: 'warn', message: `gateway not running at ${url}`, fix: 'start it with `wagate gateway`' }, accounts: null };
    }
    if (isWagateError(err) && err.code === 'WAGATE_ERR_UNAUTHORIZED') {
      const fix = fromConfig
        ? 'gateway.auth.token differs from the token the running gateway uses; set the same value in both, or restart the gateway with this config'
        : `the running gateway does not use ${stateDir}/gateway.token; run the CLI with the gateway's WAGATE_HOME, or set gateway.auth.token`;
      return { result: { id, status: 'fail', message: `WAGATE_ERR_UNAUTHORIZED: the gateway at ${url} rejected the token`, fix }, accounts: null };
    }
    const code = isWagateError(err) ? err.code : 'WAGATE_ERR_INTERNAL';
    const message = err instanceof Error ? err.message : String(err);
    return { result: { id, status: 'fail', message: `${code}: ${message}`, fix: 'see `wagate logs`' }, accounts: null };
  }
}

/** 6. One account's state in the running gateway. */
export function accountCheck(a: AccountStatus): CheckResult {
  const id = `account:${a.accountId}`;
  const hint = fixHint(a);
  if (!a.enabled) return { id, status: 'ok', message: 'disabled' };
  const who = a.identity?.e164 ?? a.identity?.jid;
  const message = `${a.state}${who ? ` as ${who}` : ''}${a.error ? ` (${a.error.code}: ${a.error.message})` : ''}`;
  if (a.state === 'logged-out' || a.state === 'degraded') {
    return { id, status: 'fail', message: `${hint?.label ?? a.state}: ${message}`, fix: hint?.fix ?? 'see `wagate logs`' };
  }
  if (a.state === 'backing-off' || (hint && a.state !== 'connected')) {
    const fix = hint?.fix ?? 'reconnecting automatically; if it persists check the network and `wagate logs`';
    return { id, status: 'warn', message: `${hint?.label ?? 'Disconnected'}: ${message}`, fix };
  }
  return { id, status: 'ok', message };
}

export async function runDoctor(env: CliIO['env'], opts: DoctorOptions = {}): Promise<DoctorReport> {
  const fix = Boolean(opts.fix);
  const state = resolveStateDir(env);
  const checks: CheckResult[] = [];
  const { result, config } = checkConfig(opts.configPath, env);
  checks.push(result);
  checks.push(...(await guarded('state-dir', () => checkStateDir(state, fix))));
  checks.push(...(await guarded('token-file', () => checkTokenFile(state, config?.gateway.auth.token, fix))));
  if (!config) return { ok: false, checks };

  const accounts = resolveAccounts(config, { env });
  const defaultId = defaultAccountId(config);
  const gateway = await probeGateway(config, state, opts.timeoutMs ?? 3000);
  let store: Store | null = null;
  try {
    checks.push(
      ...(await guarded('store', async () => {
        const r = await checkStore(storeTarget(config.store, state, env));
        store = r.store;
        return r.result;
      })),
    );
    const infos = await accountDirs(config, accounts, state, defaultId).catch(() => null);
    checks.push(
      ...(await guarded('creds', async () => {
        const out: CheckResult[] = [];
        for (const info of infos ?? (await accountDirs(config, accounts, state, defaultId))) out.push(await checkCreds(info, store));
        return out;
      })),
    );
    checks.push(...(await guarded('imported', () => checkImported(infos ?? [], state, store))));
    checks.push(...(await guarded('web-version', () => checkWebVersion(config, store, gateway.accounts))));
  } finally {
    await (store as Store | null)?.close().catch(() => undefined);
  }
  checks.push(...(await guarded('ffmpeg', () => checkFfmpeg(config, env))));
  checks.push(...(await guarded('proxy', () => checkProxies(accounts))));
  checks.push(gateway.result);
  for (const a of gateway.accounts ?? []) checks.push(accountCheck(a));
  return { ok: checks.every((c) => c.status !== 'fail'), checks };
}

const SYMBOL = { ok: '✓', warn: '!', fail: '✗' } as const;

export function formatCheck(c: CheckResult): string {
  return `${SYMBOL[c.status]} ${c.id}: ${c.message}${c.fix ? ` — fix: ${c.fix}` : ''}`;
}

export function registerDoctorCommand(program: Command, deps: CommandDeps): void {
  program
    .command('doctor')
    .description('check config, state dir, the store, creds, old auth dirs and the gateway; suggest (or --fix) fixes')
    .option('--fix', 'apply safe fixes: file modes')
    .option('--json', 'machine-readable output: {ok, checks: [{id, status, message, fix?}]}')
    .action(
      action(deps, async (opts: { fix?: boolean; json?: boolean }, cmd: Command) => {
        const globals = cmd.optsWithGlobals() as { config?: string };
        const report = await runDoctor(deps.io.env, { configPath: globals.config, fix: opts.fix });
        if (opts.json) printJson(deps.io, report);
        else {
          for (const c of report.checks) deps.io.out(formatCheck(c));
          const fails = report.checks.filter((c) => c.status === 'fail').length;
          const warns = report.checks.filter((c) => c.status === 'warn').length;
          deps.io.out(fails + warns === 0 ? 'All checks passed.' : `${fails} failed, ${warns} warning(s).`);
        }
        return report.ok ? 0 : 1;
      }),
    );
}
