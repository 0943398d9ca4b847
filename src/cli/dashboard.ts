/**
 * `wagate dashboard [--open]`: ask the running gateway for a one-time sign-in
 * link to its control page and print it; with `--open`, also hand it to the
 * desktop's opener (`xdg-open`, `open` on macOS, `start` on Windows). Opening
 * fails soft: the link is printed either way, and a missing opener is one note.
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { connectGateway, loadContext } from './context.js';
import { printJson, type CliIO } from './io.js';
import { action, type CommandDeps } from './command.js';

/** The command that opens a URL on this platform. */
export function openerFor(platform: NodeJS.Platform): [string, string[]] {
  if (platform === 'darwin') return ['open', []];
  if (platform === 'win32') return ['cmd', ['/c', 'start', '""']];
  return ['xdg-open', []];
}

/** Try to open `url` in a browser; resolves with a problem to report, or null. Never throws. */
export function openInBrowser(url: string, platform = process.platform): Promise<string | null> {
  const [cmd, args] = openerFor(platform);
  return new Promise((resolve) => {
    try {
      const child = spawn(cmd, [...args, url], { stdio: 'ignore', detached: true });
      child.once('error', (err) => resolve(`could not run ${cmd} (${err.message}); open the link yourself`));
      child.once('spawn', () => {
        child.unref();
        resolve(null);
      });
    } catch (err) {
      resolve(`could not run ${cmd} (${(err as Error).message}); open the link yourself`);
    }
  });
}

export async function runDashboard(io: CliIO, ctx: Awaited<ReturnType<typeof loadContext>>, opts: { open?: boolean; json?: boolean }): Promise<number> {
  const client = await connectGateway(ctx);
  let link: { url: string; expiresAt: number };
  try {
    link = await client.request('dashboard.link', {});
  } finally {
    client.close();
  }
  const problem = opts.open ? await openInBrowser(link.url) : null;
  if (opts.json) {
    printJson(io, { ...link, ...(opts.open ? { opened: problem === null } : {}) });
    return 0;
  }
  const seconds = Math.max(1, Math.round((link.expiresAt - Date.now()) / 1000));
  io.out(`Open the control page (this link signs you in once, within ${seconds} s):`);
  io.out(link.url);
  if (problem) io.err(`wagate: ${problem}`);
  return 0;
}

export function registerDashboardCommand(program: Command, deps: CommandDeps): void {
  program
    .command('dashboard')
    .description("print a one-time sign-in link to the gateway's control page")
    .option('--open', 'also open it in the browser (xdg-open / open)')
    .option('--json', 'machine-readable output')
    .action(
      action(deps, async (opts: { open?: boolean; json?: boolean }, cmd: Command) => {
        const ctx = await loadContext(deps.io, cmd.optsWithGlobals());
        return runDashboard(deps.io, ctx, opts);
      }),
    );
}
