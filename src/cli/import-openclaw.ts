/**
 * `wagate import openclaw [--from ~/.openclaw] [--dry-run] [--force] [--json]` (SPEC §12):
 * switch from an OpenClaw install without linking again.
 *
 * - Each account's Baileys auth dir (`credentials/whatsapp/<accountId>/`, an
 *   `accounts.<id>.authDir` of its config, and the legacy `credentials/creds.json`
 *   for `default`) goes into the store through the same importer the gateway uses
 *   for its own old dirs (src/whatsapp/auth-import.ts), leaving the files in place.
 *   An account that already has creds in the store is left as it is.
 * - Approved senders (`credentials/whatsapp-allowFrom.json`) and pending pairing
 *   requests not yet expired (`credentials/whatsapp-pairing.json`) go into the store.
 * - The WhatsApp part of `openclaw.json` (JSON5; `channels.whatsapp`, or the older
 *   top-level `whatsapp`) is merged into wagate.json key by key: each key is kept only
 *   if the normal config validation accepts it; the others are listed as not mapped.
 *   A key wagate.json already has with another value is a conflict: nothing at all is
 *   changed unless `--force`. The file is written atomically (config/write.ts).
 *
 * The OpenClaw dir is only read, never modified. `--dry-run` reads and checks
 * everything and writes nothing (not the store, not wagate.json).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import type { Command } from 'commander';
import JSON5 from 'json5';
import {
  expandHome,
  formatKeyPath,
  parseConfigText,
  readConfigText,
  resolveUserPath,
  updateConfig,
  validateConfig,
  type KeyPath,
} from '../config/index.js';
import { getAt, setAt } from '../config/key-path.js';
import { WagateError } from '../errors.js';
import type { PairingRequestRow, Store } from '../store/port.js';
import { storeFile } from '../state-layout.js';
import { importAuthDir, type ImportResult } from '../whatsapp/auth-import.js';
import { action, type CommandDeps } from './command.js';
import { lenientStoreTarget, withStore, type GlobalOptions } from './context.js';
import { resolveConfigPath, stateDir as resolveStateDir } from '../config/index.js';
import { printJson, type CliIO } from './io.js';

/** How long an OpenClaw pairing request lived (SPEC §5: codes expire after an hour). */
const PAIRING_TTL_MS = 60 * 60 * 1000;

export interface AccountImport {
  accountId: string;
  dir: string;
  status: 'imported' | 'would-import' | 'already-in-store' | 'no-creds';
  keys: number;
  skipped: number;
  from?: string;
}

export interface ConfigKey {
  key: string;
  value?: unknown;
  reason?: string;
}

export interface OpenClawImport {
  from: string;
  dryRun: boolean;
  accounts: AccountImport[];
  pairing: { approvedSenders: number; requests: number; newApproved: number; newRequests: number };
  config: {
    file: string;
    openclawFile: string | null;
    mapped: ConfigKey[];
    alreadySet: ConfigKey[];
    replaced: ConfigKey[];
    notMapped: ConfigKey[];
    written: boolean;
  };
}

function importError(message: string, cause?: unknown): WagateError {
  return new WagateError('WAGATE_ERR_IMPORT', message, cause === undefined ? undefined : { cause });
}

async function isDir(p: string): Promise<boolean> {
  return (await fs.stat(p).catch(() => null))?.isDirectory() ?? false;
}

async function readJsonIfExists(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw importError(`Cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); nothing was changed.`, err);
  }
  try {
    return JSON5.parse(text);
  } catch (err) {
    throw importError(`${file} is not valid JSON; nothing was changed.`, err);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---- config ----

interface ConfigPlan {
  mapped: ConfigKey[];
  alreadySet: ConfigKey[];
  replaced: ConfigKey[];
  notMapped: ConfigKey[];
  conflicts: ConfigKey[];
  /** What to set, in order. */
  sets: { path: KeyPath; value: unknown }[];
}

/** The WhatsApp part of an openclaw.json as candidate (path, value) pairs, and what is not taken. */
function candidates(oc: Record<string, unknown>): { sets: { path: KeyPath; value: unknown }[]; notMapped: ConfigKey[] } {
  const notMapped: ConfigKey[] = [];
  const sets: { path: KeyPath; value: unknown }[] = [];
  const channels = isObject(oc.channels) ? oc.channels : {};
  const wa = isObject(channels.whatsapp) ? channels.whatsapp : isObject(oc.whatsapp) ? oc.whatsapp : {};
  for (const [k, v] of Object.entries(wa)) {
    if (k === 'accounts' && isObject(v)) {
      for (const [id, acc] of Object.entries(v)) {
        if (!isObject(acc)) {
          notMapped.push({ key: formatKeyPath(['channels', 'whatsapp', 'accounts', id]), reason: 'not an object' });
          continue;
        }
        for (const [ak, av] of Object.entries(acc)) {
          const p = ['channels', 'whatsapp', 'accounts', id, ak];
          if (ak === 'authDir') notMapped.push({ key: formatKeyPath(p), reason: 'the credentials are imported into the store instead' });
          else sets.push({ path: p, value: av });
        }
      }
    } else {
      sets.push({ path: ['channels', 'whatsapp', k], value: v });
    }
  }
  const others = Object.keys(oc).filter((k) => k !== 'channels' && k !== 'whatsapp' && k !== '$schema');
  for (const k of Object.keys(channels)) if (k !== 'whatsapp') notMapped.push({ key: `channels.${k}`, reason: 'not the WhatsApp part' });
  for (const k of others) notMapped.push({ key: k, reason: 'not the WhatsApp part (set it in wagate.json by hand if wagate has it)' });
  return { sets, notMapped };
}

function planConfig(oc: Record<string, unknown>, raw: Record<string, unknown>, file: string, force: boolean): ConfigPlan {
  const { sets: all, notMapped } = candidates(oc);
  const plan: ConfigPlan = { mapped: [], alreadySet: [], replaced: [], notMapped, conflicts: [], sets: [] };
  const pending: { path: KeyPath; value: unknown; replaces: boolean }[] = [];
  for (const c of all) {
    const existing = getAt(raw, c.path);
    if (existing === undefined) pending.push({ ...c, replaces: false });
    else if (isDeepStrictEqual(existing, c.value)) plan.alreadySet.push({ key: formatKeyPath(c.path), value: c.value });
    else if (force) pending.push({ ...c, replaces: true });
    else plan.conflicts.push({ key: formatKeyPath(c.path), value: c.value, reason: `wagate.json has ${JSON.stringify(existing)}` });
  }
  // Keep each key the normal validation accepts. Keys can depend on each other
  // (dmPolicy "open" needs allowFrom "*"), so all at once first, then one by one, twice.
  const valid = (sets: { path: KeyPath; value: unknown }[]): string | null => {
    const copy = structuredClone(raw);
    try {
      for (const s of sets) setAt(copy, s.path, structuredClone(s.value));
      validateConfig(copy, file);
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  };
  let accepted: typeof pending = [];
  if (valid(pending) === null) accepted = pending;
  else {
    let rest = pending;
    const reasons = new Map<(typeof pending)[number], string>();
    for (let pass = 0; pass < 2; pass++) {
      const next: typeof pending = [];
      for (const c of rest) {
        const why = valid([...accepted, c]);
        if (why === null) accepted.push(c);
        else {
          reasons.set(c, why);
          next.push(c);
        }
      }
      rest = next;
    }
    for (const c of rest) plan.notMapped.push({ key: formatKeyPath(c.path), value: c.value, reason: reasons.get(c) ?? 'invalid' });
  }
  for (const c of accepted) {
    (c.replaces ? plan.replaced : plan.mapped).push({ key: formatKeyPath(c.path), value: c.value });
    plan.sets.push({ path: c.path, value: c.value });
  }
  return plan;
}

// ---- accounts ----

async function authDirs(from: string, oc: Record<string, unknown>, home: string): Promise<{ accountId: string; dir: string }[]> {
  const out = new Map<string, string>();
  const waDir = path.join(from, 'credentials', 'whatsapp');
  const names = await fs.readdir(waDir, { withFileTypes: true }).catch(() => []);
  for (const d of names) if (d.isDirectory() && !d.name.startsWith('.')) out.set(d.name, path.join(waDir, d.name));
  const accounts = isObject(oc.channels) && isObject(oc.channels.whatsapp) && isObject(oc.channels.whatsapp.accounts) ? oc.channels.whatsapp.accounts : {};
  for (const [id, acc] of Object.entries(accounts)) {
    if (isObject(acc) && typeof acc.authDir === 'string') out.set(id, resolveUserPath(acc.authDir, from, home));
  }
  const legacy = path.join(from, 'credentials');
  const hasLegacy = (await fs.stat(path.join(legacy, 'creds.json')).catch(() => null)) !== null;
  const defaultDir = out.get('default');
  const defaultHasCreds = defaultDir ? (await fs.stat(path.join(defaultDir, 'creds.json')).catch(() => null)) !== null : false;
  if (hasLegacy && !defaultHasCreds) out.set('default', legacy);
  return [...out].sort(([a], [b]) => a.localeCompare(b)).map(([accountId, dir]) => ({ accountId, dir }));
}

async function importAccounts(store: Store, dirs: { accountId: string; dir: string }[], dryRun: boolean, io: CliIO): Promise<AccountImport[]> {
  const log = { info: () => undefined, warn: (_o: object, msg: string) => io.err(`wagate: ${msg}`) };
  const out: AccountImport[] = [];
  for (const { accountId, dir } of dirs) {
    const inStore = await store.creds.load(accountId);
    if (inStore) {
      out.push({ accountId, dir, status: 'already-in-store', keys: 0, skipped: 0 });
      continue;
    }
    let r: ImportResult;
    try {
      r = await importAuthDir({ store, accountId, dir, log, keepFiles: true, dryRun });
    } catch (err) {
      throw importError(`${(err as Error).message}`, err);
    }
    const status: AccountImport['status'] = r.imported ? 'imported' : r.wouldImport ? 'would-import' : 'no-creds';
    out.push({ accountId, dir, status, keys: r.keys, skipped: r.skipped, ...(r.from ? { from: r.from } : {}) });
  }
  return out;
}

// ---- pairing ----

/** OpenClaw's pairing request has the store's row shape. */
type OcRequest = PairingRequestRow;

function readRequests(v: unknown): OcRequest[] {
  const list = Array.isArray(v) ? v : isObject(v) && Array.isArray(v.requests) ? v.requests : [];
  const out: OcRequest[] = [];
  for (const r of list) {
    if (!isObject(r) || typeof r.code !== 'string' || typeof r.sender !== 'string') continue;
    const createdAt = typeof r.createdAt === 'number' ? r.createdAt : typeof r.createdAt === 'string' ? Date.parse(r.createdAt) : NaN;
    if (!Number.isFinite(createdAt)) continue;
    const expiresAt = typeof r.expiresAt === 'number' ? r.expiresAt : createdAt + PAIRING_TTL_MS;
    out.push({
      code: r.code.toUpperCase(),
      sender: r.sender,
      accountId: typeof r.accountId === 'string' ? r.accountId : 'default',
      ...(typeof r.name === 'string' ? { name: r.name } : {}),
      createdAt,
      expiresAt,
    });
  }
  return out;
}

function readAllowFrom(v: unknown): string[] {
  const list = Array.isArray(v) ? v : isObject(v) && Array.isArray(v.allowFrom) ? v.allowFrom : [];
  return list.filter((s): s is string => typeof s === 'string' && s.trim() !== '');
}

async function importPairing(store: Store, from: string, dryRun: boolean, now: number): Promise<OpenClawImport['pairing']> {
  const creds = path.join(from, 'credentials');
  const approved = readAllowFrom(await readJsonIfExists(path.join(creds, 'whatsapp-allowFrom.json')));
  const requests = readRequests(await readJsonIfExists(path.join(creds, 'whatsapp-pairing.json'))).filter((r) => r.expiresAt > now);
  let newApproved = 0;
  let newRequests = 0;
  const known = new Set((await store.pairing.requests()).map((r) => r.code));
  if (dryRun) {
    for (const s of approved) if (!(await store.pairing.isApproved(s))) newApproved += 1;
    newRequests = requests.filter((r) => !known.has(r.code)).length;
  } else {
    await store.transaction(async (tx) => {
      for (const s of approved) if (await tx.pairing.approve(s, now)) newApproved += 1;
      for (const r of requests) {
        if (known.has(r.code)) continue;
        await tx.pairing.addRequest(r);
        newRequests += 1;
      }
    });
  }
  return { approvedSenders: approved.length, requests: requests.length, newApproved, newRequests };
}

// ---- the command ----

export async function runImportOpenClaw(
  io: CliIO,
  opts: { from?: string; dryRun?: boolean; force?: boolean; json?: boolean; config?: string },
): Promise<number> {
  const home = io.env.HOME ?? os.homedir();
  const from = path.resolve(expandHome(opts.from ?? '~/.openclaw', home));
  const dryRun = Boolean(opts.dryRun);
  if (!(await isDir(from))) throw importError(`No OpenClaw install at ${from} (not a directory); pass --from <dir>. Nothing was changed.`);
  const ocFile = path.join(from, 'openclaw.json');
  const ocRaw = await readJsonIfExists(ocFile);
  if (ocRaw !== undefined && !isObject(ocRaw)) throw importError(`${ocFile}: the top level is not an object; nothing was changed.`);
  const oc = ocRaw ?? {};

  const state = resolveStateDir(io.env, home);
  const file = resolveConfigPath(opts.config, io.env, home);
  const text = readConfigText(file);
  const raw = text === null ? {} : parseConfigText(text, file);
  if (!isObject(raw)) throw importError(`${file}: the top level is not an object; fix it first. Nothing was changed.`);
  const plan = planConfig(oc, raw, file, Boolean(opts.force));
  if (plan.conflicts.length > 0) {
    const list = plan.conflicts.map((c) => `${c.key} (${c.reason})`).join(', ');
    throw importError(`wagate.json already sets ${list}; run again with --force to replace them. Nothing was changed.`);
  }

  const dirs = await authDirs(from, oc, home);
  const work = async (store: Store) => {
    const accounts = await importAccounts(store, dirs, dryRun, io);
    const pairing = await importPairing(store, from, dryRun, Date.now());
    return { accounts, pairing };
  };
  // A dry run with no store yet checks against an empty one in a temp dir: it creates nothing in the state dir.
  // (PostgreSQL: the configured database itself; a dry run writes no rows, though opening it creates the schema.)
  const target = lenientStoreTarget(io.env, state, file);
  const scratch =
    dryRun && target.kind === 'sqlite' && !(await fs.stat(storeFile(state)).catch(() => null))
      ? await fs.mkdtemp(path.join(os.tmpdir(), 'wagate-import-'))
      : null;
  let result: Awaited<ReturnType<typeof work>>;
  try {
    result = await withStore(scratch ? { kind: 'sqlite', file: storeFile(scratch) } : target, work);
  } finally {
    if (scratch) await fs.rm(scratch, { recursive: true, force: true });
  }

  let written = false;
  if (!dryRun && plan.sets.length > 0) {
    const r = await updateConfig(file, (cur) => {
      for (const s of plan.sets) setAt(cur, s.path, s.value);
      return true;
    });
    written = r.changed;
  }
  const report: OpenClawImport = {
    from,
    dryRun,
    ...result,
    config: {
      file,
      openclawFile: ocRaw === undefined ? null : ocFile,
      mapped: plan.mapped,
      alreadySet: plan.alreadySet,
      replaced: plan.replaced,
      notMapped: plan.notMapped,
      written,
    },
  };
  if (opts.json) printJson(io, report);
  else printReport(io, report);
  return 0;
}

const ACCOUNT_TEXT: Record<AccountImport['status'], (a: AccountImport) => string> = {
  imported: (a) => `imported creds and ${a.keys} Signal keys from ${a.dir} (files left in place)`,
  'would-import': (a) => `would import creds and ${a.keys} Signal keys from ${a.dir}`,
  'already-in-store': (a) => `already linked in wagate's store; ${a.dir} not imported`,
  'no-creds': (a) => `no creds in ${a.dir}; nothing to import`,
};

function printReport(io: CliIO, r: OpenClawImport): void {
  io.out(`OpenClaw install: ${r.from}${r.dryRun ? ' (dry run: nothing was written)' : ''}`);
  io.out('Accounts:');
  if (r.accounts.length === 0) io.out('  none found (no credentials/whatsapp/<accountId>/ or credentials/creds.json)');
  for (const a of r.accounts) {
    io.out(`  ${a.accountId}: ${ACCOUNT_TEXT[a.status](a)}${a.skipped ? `; ${a.skipped} unreadable key file(s) skipped` : ''}`);
  }
  const p = r.pairing;
  const verb = r.dryRun ? 'would add' : 'added';
  io.out(`Pairing: ${p.approvedSenders} approved sender(s), ${p.requests} pending request(s); ${verb} ${p.newApproved} and ${p.newRequests} to the store`);
  const c = r.config;
  io.out(`Config: ${c.openclawFile ?? 'no openclaw.json'} → ${c.file}${c.written ? '' : r.dryRun ? ' (not written: dry run)' : ' (unchanged)'}`);
  for (const k of c.mapped) io.out(`  mapped      ${k.key} = ${JSON.stringify(k.value)}`);
  for (const k of c.replaced) io.out(`  replaced    ${k.key} = ${JSON.stringify(k.value)}`);
  for (const k of c.alreadySet) io.out(`  already set ${k.key}`);
  for (const k of c.notMapped) io.out(`  not mapped  ${k.key}: ${k.reason ?? ''}`);
  if (!r.dryRun && r.accounts.some((a) => a.status === 'imported')) io.out('Start the gateway (`wagate gateway`): the imported accounts connect without a QR.');
}

export function registerImportCommands(program: Command, deps: CommandDeps): void {
  const imp = program.command('import').description('import state from another product');
  imp
    .command('openclaw')
    .description('import an OpenClaw install: linked accounts (no new QR), approved senders, pairing, WhatsApp config')
    .option('--from <dir>', 'the OpenClaw state dir', '~/.openclaw')
    .option('--dry-run', 'show what would be imported; write nothing')
    .option('--force', 'replace wagate.json keys that already have another value')
    .option('--json', 'machine-readable output')
    .action(
      action(deps, async (opts: { from?: string; dryRun?: boolean; force?: boolean; json?: boolean }) =>
        runImportOpenClaw(deps.io, { ...opts, ...(program.opts<GlobalOptions>().config ? { config: program.opts<GlobalOptions>().config } : {}) }),
      ),
    );
}
