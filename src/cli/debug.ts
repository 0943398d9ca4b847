/**
 * `wagate debug dump`: every account machine's state, context and recent
 * transitions, and each actor's summary, from the running gateway.
 */
import type { Command } from 'commander';
import type { ControlResults } from '../gateway/control-methods.js';
import { connectGateway, loadContext } from './context.js';
import { printJson } from './io.js';
import { action, type CommandDeps } from './command.js';

type DumpPayload = ControlResults['debug.dump'];

export function registerDebugCommands(program: Command, deps: CommandDeps): void {
  const debug = program.command('debug').description('inspect the running gateway');
  debug
    .command('dump')
    .description("each account's machine state, context and last 50 transitions, and each actor's state")
    .option('--account <id>', 'only this account')
    .option('--json', 'machine-readable output')
    .action(
      action(deps, async (opts: { account?: string; json?: boolean }, cmd: Command) => {
        const ctx = await loadContext(deps.io, cmd.optsWithGlobals());
        const client = await connectGateway(ctx);
        let dump: DumpPayload;
        try {
          dump = await client.request('debug.dump', { accountId: opts.account });
        } finally {
          client.close();
        }
        if (opts.json) {
          printJson(deps.io, dump);
          return 0;
        }
        const iso = (t: number) => new Date(t).toISOString();
        deps.io.out(`gateway up ${Math.round(dump.uptimeMs / 1000)}s, dumped at ${iso(dump.at)}`);
        for (const a of dump.accounts) {
          deps.io.out(`\naccount ${a.accountId}: ${a.state}`);
          deps.io.out(`  context: ${JSON.stringify(a.context)}`);
          deps.io.out(`  transitions (oldest first):`);
          for (const t of a.transitions) deps.io.out(`    ${iso(t.at)}  ${t.event.padEnd(12)} ${t.from} → ${t.to}`);
        }
        deps.io.out('\nactors:');
        for (const [name, summary] of Object.entries(dump.actors)) deps.io.out(`  ${name}: ${JSON.stringify(summary)}`);
        const st = dump.store;
        const size = st.sizeBytes === null ? '' : `, ${(st.sizeBytes / 1024).toFixed(0)} KiB`;
        deps.io.out(`\nstore: ${st.kind} ${st.location}${size}`);
        for (const [table, n] of Object.entries(st.counts)) deps.io.out(`  ${table}: ${n}`);
        deps.io.out(`inbound ledger: ${Object.entries(st.ledger).map(([state, n]) => `${state} ${n}`).join(', ')}`);
        if (dump.cluster) {
          deps.io.out(`\ncluster: this is node ${dump.cluster.nodeId}`);
          for (const n of dump.cluster.nodes) {
            deps.io.out(`  node ${n.nodeId}: ${n.live ? 'live' : 'not live'}, last heartbeat ${iso(n.seenAt)}, ${n.accounts} of ${n.capacity} accounts`);
          }
          for (const l of dump.cluster.leases) {
            deps.io.out(`  ${l.accountId}: ${l.owner === null ? 'free' : `node ${l.owner}`}, token ${l.token}, expires ${iso(l.expiresAt)}${l.here ? ' (runs here)' : ''}`);
          }
        }
        return 0;
      }),
    );
}
