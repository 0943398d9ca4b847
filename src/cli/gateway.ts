/**
 * `wagate gateway`: run the supervisor until SIGINT/SIGTERM, then shut down
 * gracefully and exit 0.
 */
import type { Command } from 'commander';
import { STOP_MARGIN_MS } from '../gateway/stop-phases.js';
import { startGateway } from '../gateway/supervisor.js';
import { createLogTap } from '../log-tap.js';
import { createBaileysTransportFactory } from '../whatsapp/index.js';
import { loadContext, openLogger } from './context.js';
import { action, type CommandDeps } from './command.js';
import { parsePort } from './args.js';

/** Beyond gateway.drainSeconds and the stop's margin, how long the command waits before it gives up on the stop. */
const STOP_GRACE_MS = 5_000;

export function registerGatewayCommand(program: Command, deps: CommandDeps): void {
  program
    .command('gateway')
    .description('start the gateway: every enabled account, the actors and the control server')
    .option('--port <port>', 'control port (overrides gateway.port)', parsePort)
    .action(
      action(deps, async (opts: { port?: number }, cmd: Command) => {
        const ctx = await loadContext(deps.io, cmd.optsWithGlobals());
        const logTap = createLogTap();
        const root = openLogger(ctx, undefined, logTap);
        try {
          const gw = await startGateway({
            config: ctx.config,
            configPath: ctx.configPath,
            stateDir: ctx.stateDir,
            env: ctx.io.env,
            transport: createBaileysTransportFactory({ config: ctx.config, env: ctx.io.env, logger: root.logger }),
            logger: root.logger,
            logTap,
            port: opts.port,
          });
          const ids = [...gw.accounts.keys()];
          deps.io.out(
            `wagate gateway listening on ${gw.control.url}; accounts: ${ids.length ? ids.join(', ') : '(none enabled)'}. Ctrl-C stops it.`,
          );
          await new Promise<void>((resolve) => {
            if (deps.io.signal.aborted) resolve();
            deps.io.signal.addEventListener('abort', () => resolve(), { once: true });
          });
          deps.io.out('wagate gateway stopping…');
          // The stop bounds each of its phases (src/gateway/stop-phases.ts); this is the
          // last resort should something outside them hang: the process ends anyway.
          const limitMs = ctx.config.gateway.drainSeconds * 1000 + STOP_MARGIN_MS + STOP_GRACE_MS;
          let timer: NodeJS.Timeout | undefined;
          const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), limitMs).unref()));
          const outcome = await Promise.race([gw.stop('signal').then(() => 'stopped' as const), late]);
          clearTimeout(timer);
          if (outcome === 'late') {
            deps.io.err(`wagate gateway: the stop did not finish within ${Math.round(limitMs / 1000)} s; exiting anyway (see \`wagate logs --subsystem gateway\`).`);
            return 1;
          }
          deps.io.out('wagate gateway stopped.');
          return 0;
        } finally {
          root.close();
        }
      }),
    );
}
