/**
 * `wagate channels …`: status (through the gateway when it runs, from the
 * config and the creds on disk otherwise).
 */
import type { Command } from 'commander';
import { resolveAccounts } from '../config/index.js';
import type { AccountStatus } from '../gateway/control-methods.js';
import { pino } from 'pino';
import { createBaileysTransportFactory, versionInUse, webVersionResolver } from '../whatsapp/index.js';
import { connectGateway, loadContext, withStore, type CliContext } from './context.js';
import { printJson } from './io.js';
import { action, type CommandDeps } from './command.js';
import { formatStatusLine } from './status-text.js';
import { isWagateError } from '../errors.js';
import { parsePhone, parsePositiveInt } from './args.js';
import { runLogin, runLogout, type LoginOptions } from './login.js';

/** Status without a gateway: what the config and the store (or an auth dir not imported yet) say. */
export async function offlineStatus(ctx: CliContext): Promise<AccountStatus[]> {
  const factory = createBaileysTransportFactory({ config: ctx.config, env: ctx.io.env, logger: pino({ level: 'silent' }) });
  return withStore(ctx, async (store) => {
    const webVersion = versionInUse(await webVersionResolver({ config: ctx.config, logger: pino({ level: 'silent' }) }, store).peek());
    return Promise.all(resolveAccounts(ctx.config, { env: ctx.io.env }).map(async (acc) => {
      const linked = await factory.create(acc.accountId, { store }).hasCreds().catch(() => false);
      return {
        accountId: acc.accountId,
        name: acc.name,
        enabled: acc.enabled,
        running: false,
        state: 'stopped',
        linked,
        connected: false,
        identity: null,
        attempt: 0,
        nextRetryAt: null,
        lastClose: null,
        error: null,
        dmPolicy: acc.dmPolicy,
        webVersion,
      } satisfies AccountStatus;
    }));
  });
}

export function registerChannelsCommands(program: Command, deps: CommandDeps): void {
  const channels = program.command('channels').description('WhatsApp accounts: link, unlink, status');
  channels
    .command('login')
    .description('link an account by QR, or by pairing code with --phone (through the running gateway, or in-process)')
    .option('--account <id>', 'the account (default: the default account)')
    .option('--phone <e164>', "link by pairing code: WhatsApp's 8-character code to enter on the phone with this number", parsePhone)
    .option('--timeout <seconds>', 'give up when no QR was scanned (or no code entered) by then', parsePositiveInt, 180)
    .option('--json', 'one JSON line per event: {"event":"qr",…} (or {"event":"code",…}) … {"event":"linked",…}')
    .action(
      action(deps, async (opts: LoginOptions, cmd: Command) => runLogin(await loadContext(deps.io, cmd.optsWithGlobals()), opts)),
    );
  channels
    .command('logout')
    .description("delete an account's WhatsApp auth state")
    .option('--account <id>', 'the account (default: the default account)')
    .option('--json', 'machine-readable output')
    .action(
      action(deps, async (opts: { account?: string; json?: boolean }, cmd: Command) =>
        runLogout(await loadContext(deps.io, cmd.optsWithGlobals()), opts),
      ),
    );
  channels
    .command('status')
    .description('per account: enabled, linked, running, connected, last close, dm policy, error and a fix hint')
    .option('--account <id>', 'only this account')
    .option('--probe', 'also ask WhatsApp for a round trip on each connected account')
    .option('--json', 'machine-readable output')
    .action(
      action(deps, async (opts: { account?: string; json?: boolean; probe?: boolean }, cmd: Command) => {
        const ctx = await loadContext(deps.io, cmd.optsWithGlobals());
        let accounts: AccountStatus[];
        let gatewayRunning = true;
        try {
          const client = await connectGateway(ctx);
          try {
            const res = await client.request('status', { accountId: opts.account, probe: opts.probe });
            accounts = res.accounts;
          } finally {
            client.close();
          }
        } catch (err) {
          if (!isWagateError(err) || err.code !== 'WAGATE_ERR_GATEWAY_UNREACHABLE') throw err;
          gatewayRunning = false;
          accounts = (await offlineStatus(ctx)).filter((a) => !opts.account || a.accountId === opts.account);
        }
        if (opts.json) {
          printJson(deps.io, { gatewayRunning, accounts });
          return 0;
        }
        if (!gatewayRunning) deps.io.out('Gateway not running (start it with `wagate gateway`); showing what is on disk.');
        const now = Date.now();
        for (const a of accounts) deps.io.out(formatStatusLine(a, now).join('\n'));
        return 0;
      }),
    );
}
