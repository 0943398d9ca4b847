/**
 * `wagate pairing list whatsapp` / `wagate pairing approve whatsapp <code>`:
 * read and edit the pairing requests in the store (`<state>/wagate.db`, or the
 * configured PostgreSQL) directly, whether or not the gateway runs (the gateway reads
 * the store on every message; two processes share the database through WAL;
 * nothing is sent over the network). Old pairing files not imported yet are imported
 * first. Needs only the state dir and the config's `store` section, so a broken
 * config does not block it.
 */
import type { Command } from 'commander';
import { stateDir as resolveStateDir } from '../config/index.js';
import { WagateError } from '../errors.js';
import { createPairingStore, type PairingRequest, type PairingStore } from '../pairing/store.js';
import { importStateFiles } from '../state-import.js';
import { lenientStoreTarget, withStore } from './context.js';
import { printJson, type CliIO } from './io.js';
import { action, type CommandDeps } from './command.js';

const CHANNELS = ['whatsapp'] as const;

function checkChannel(channel: string): void {
  if (!(CHANNELS as readonly string[]).includes(channel)) {
    throw new WagateError('WAGATE_ERR_UNKNOWN_CHANNEL', `Unknown channel "${channel}"; the only channel is whatsapp.`);
  }
}

/** Run `fn` on the pairing store of the state dir's store, old pairing files imported first. */
function withPairing<T>(io: CliIO, fn: (pairing: PairingStore) => Promise<T>): Promise<T> {
  const stateDir = resolveStateDir(io.env);
  return withStore(lenientStoreTarget(io.env, stateDir), async (store) => {
    const log = { info: () => undefined, warn: (_: object, msg: string) => io.err(msg), error: (o: object, msg: string) => io.err(`${msg}: ${errorText(o)}`) };
    await importStateFiles({ store, stateDir, log, only: ['pairing'] });
    return fn(createPairingStore({ store }));
  });
}

function errorText(o: object): string {
  const err = (o as { err?: unknown }).err;
  return err instanceof Error ? err.message : String(err);
}

function expiresIn(ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  return minutes >= 60 ? `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m` : `${minutes}m`;
}

/** One line per request: code, sender, name, account, time left. */
export function formatRequest(r: PairingRequest, now: number): string {
  const name = r.name ? ` (${r.name})` : '';
  return `${r.code}  ${r.sender}${name}  account ${r.accountId}  expires in ${expiresIn(r.expiresAt - now)}`;
}

export async function runPairingList(io: CliIO, channel: string, opts: { json?: boolean }): Promise<number> {
  checkChannel(channel);
  const requests = await withPairing(io, (p) => p.list());
  if (opts.json) {
    printJson(io, { channel, requests });
    return 0;
  }
  if (requests.length === 0) {
    io.out('No pending pairing requests.');
    return 0;
  }
  const now = Date.now();
  for (const r of requests) io.out(formatRequest(r, now));
  io.out(`Approve one with: wagate pairing approve ${channel} <code>`);
  return 0;
}

export async function runPairingApprove(io: CliIO, channel: string, code: string, opts: { json?: boolean }): Promise<number> {
  checkChannel(channel);
  const res = await withPairing(io, (p) => p.approve(code));
  if (opts.json) printJson(io, { ok: true, channel, ...res });
  else io.out(`Approved ${res.sender} (code ${res.code}, account ${res.accountId}); their next message goes to the assistant.`);
  return 0;
}

export function registerPairingCommands(program: Command, deps: CommandDeps): void {
  const pairing = program.command('pairing').description('approve unknown senders who asked for access (dmPolicy "pairing")');
  pairing
    .command('list')
    .description('list pending pairing requests (code, sender, account, time left)')
    .argument('<channel>', 'the channel: whatsapp')
    .option('--json', 'machine-readable output')
    .action(action(deps, async (channel: string, opts: { json?: boolean }) => runPairingList(deps.io, channel, opts)));
  pairing
    .command('approve')
    .description('approve the sender of a pairing code (case-insensitive); works with or without a running gateway')
    .argument('<channel>', 'the channel: whatsapp')
    .argument('<code>', 'the 8-character code the sender received')
    .option('--json', 'machine-readable output')
    .action(
      action(deps, async (channel: string, code: string, opts: { json?: boolean }) => runPairingApprove(deps.io, channel, code, opts)),
    );
}
