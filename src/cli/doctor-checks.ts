/**
 * `wagate doctor`'s checks on disk: the config, the state dir, the token file,
 * the store, each account's creds (in the store, or in an old auth dir not yet
 * imported), and the old auth directories left after their import. Each check
 * returns `ok | warn | fail`, a one-line message and, when not ok, the fix. With
 * `fix: true` the safe fixes are applied (chmod); nothing else is ever written
 * (opening an existing store applies its pending migrations, as the gateway would).
 */
import { chmod, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig, type AccountConfig, type Env, type WagateConfig } from '../config/index.js';
import { isWagateError } from '../errors.js';
import { credentialsDir, dedupeDir, tokenFilePath } from '../state-layout.js';
import { ffmpegVersion, resolveFfmpeg } from '../media/ffmpeg.js';
import type { Store } from '../store/port.js';
import { openStore, targetLocation, type StoreTarget } from '../store/open.js';
import { inspectCreds } from '../whatsapp/auth-creds.js';
import { errnoCode } from '../whatsapp/auth-files.js';
import { IMPORTED_SUFFIX } from '../store/moved-aside.js';
import { isAuthFileName, resolveAuthDir } from '../whatsapp/auth-layout.js';
import { storedCredsLinked } from '../whatsapp/store-auth-state.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  id: string;
  status: CheckStatus;
  message: string;
  fix?: string;
}

const ok = (id: string, message: string): CheckResult => ({ id, status: 'ok', message });
const warn = (id: string, message: string, fix: string): CheckResult => ({ id, status: 'warn', message, fix });
const fail = (id: string, message: string, fix: string): CheckResult => ({ id, status: 'fail', message, fix });
const octal = (mode: number) => (mode & 0o777).toString(8).padStart(3, '0');

async function statOrNull(p: string) {
  try {
    return await stat(p);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return null;
    throw err;
  }
}

/** 1. The config loads and validates. */
export function checkConfig(configFlag: string | undefined, env: Env): { result: CheckResult; config: WagateConfig | null } {
  try {
    const loaded = loadConfig({ path: configFlag, env });
    const message = loaded.exists ? `${loaded.path} is valid` : `no config file at ${loaded.path}: all defaults`;
    return { result: ok('config', message), config: loaded.config };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { result: fail('config', message, 'fix the named key in the config file, then run `wagate doctor` again'), config: null };
  }
}

/** 2a. The state dir exists, is a directory, and no one else can write it. */
export async function checkStateDir(dir: string, fix: boolean): Promise<CheckResult> {
  const id = 'state-dir';
  const st = await statOrNull(dir);
  if (!st) return warn(id, `${dir} does not exist yet`, 'it is created by `wagate channels login` or `wagate gateway`');
  if (!st.isDirectory()) return fail(id, `${dir} is not a directory`, `move it away; wagate keeps its state in the directory ${dir}`);
  if ((st.mode & 0o022) !== 0) {
    if (fix) {
      await chmod(dir, 0o700);
      return ok(id, `${dir} was group/world-writable (${octal(st.mode)}); fixed: chmod 700`);
    }
    return fail(id, `${dir} is group/world-writable (${octal(st.mode)})`, `chmod 700 ${dir} (or run \`wagate doctor --fix\`)`);
  }
  return ok(id, `${dir} (${octal(st.mode)})`);
}

/** 2b. `<state>/gateway.token` is mode 0600 (when the token comes from the file). */
export async function checkTokenFile(stateDir: string, configuredToken: string | undefined, fix: boolean): Promise<CheckResult> {
  const id = 'token-file';
  const file = tokenFilePath(stateDir);
  const st = await statOrNull(file);
  if (!st) {
    return ok(id, configuredToken ? 'the token comes from gateway.auth.token' : `no ${file} yet (the gateway creates it)`);
  }
  if (!st.isFile()) return fail(id, `${file} is not a file`, `remove it; the gateway writes its token there`);
  if ((st.mode & 0o777) !== 0o600) {
    if (fix) {
      await chmod(file, 0o600);
      return ok(id, `${file} was mode ${octal(st.mode)}; fixed: chmod 600`);
    }
    return warn(id, `${file} has mode ${octal(st.mode)}; others may read the control token`, `chmod 600 ${file} (or run \`wagate doctor --fix\`)`);
  }
  return ok(id, `${file} (600)`);
}

export interface AccountDirInfo {
  account: AccountConfig;
  /** The directory the gateway would use (the legacy dir for a legacy default account). */
  dir: string;
  legacy: boolean;
}

/** Where each enabled account's auth files are, as the gateway resolves them. */
export async function accountDirs(config: WagateConfig, accounts: AccountConfig[], stateDir: string, defaultId: string): Promise<AccountDirInfo[]> {
  const out: AccountDirInfo[] = [];
  for (const account of accounts.filter((a) => a.enabled)) {
    const configured = config.channels.whatsapp.accounts?.[account.accountId]?.authDir;
    const r = await resolveAuthDir({
      stateDir,
      accountId: account.accountId,
      authDir: configured ? account.authDir : undefined,
      isDefault: account.accountId === defaultId,
    });
    out.push({ account, dir: r.dir, legacy: r.legacy });
  }
  return out;
}

/**
 * 3. The store: integrity, schema version, file mode (`<state>/wagate.db`); for
 * PostgreSQL the connection, the schema version and the tables (the URL shown without
 * its password).
 */
export async function checkStore(target: StoreTarget): Promise<{ result: CheckResult; store: Store | null }> {
  const id = 'store';
  const where = `${target.kind} ${targetLocation(target)}`;
  if (target.kind === 'sqlite' && !(await statOrNull(target.file))) {
    return { result: ok(id, `no store yet at ${target.file} (the gateway or \`wagate channels login\` creates it)`), store: null };
  }
  let store: Store;
  try {
    store = await openStore(target);
  } catch (err) {
    const message = isWagateError(err) ? `${err.code}: ${err.message}` : String(err);
    const fix =
      isWagateError(err) && err.code === 'WAGATE_ERR_STORE_VERSION'
        ? 'run the newer wagate that wrote it, or restore a backup of the store'
        : 'see the message; `wagate doctor` again once fixed';
    return { result: fail(id, message, fix), store: null };
  }
  const [check, schema] = await Promise.all([store.check(), store.schema()]);
  if (!check.ok) {
    return {
      result: fail(id, `${where}: ${check.problems.join('; ')}`, 'stop the gateway and restore a backup of the store, or move it away and link again'),
      store,
    };
  }
  const detail = target.kind === 'sqlite' ? 'integrity ok' : 'connected';
  const mode = target.kind === 'sqlite' ? ', mode 600' : '';
  return { result: ok(id, `${where}: ${detail}, schema version ${schema.version} (this build knows ${schema.known})${mode}`), store };
}

/** 3a. One account's creds: in the store, or in an old auth dir not imported yet. */
export async function checkCreds(info: AccountDirInfo, store: Store | null): Promise<CheckResult> {
  const acctId = info.account.accountId;
  const id = `creds:${acctId}`;
  const flag = acctId === 'default' ? '' : ` --account ${acctId}`;
  const relink = `run \`wagate channels logout${flag}\` then \`wagate channels login${flag}\``;
  if (store && (await store.creds.load(acctId))) {
    try {
      const linked = await storedCredsLinked(store, acctId);
      if (!linked.linked) return warn(id, 'Not linked: the store holds creds that were never linked', `run \`wagate channels login${flag}\``);
      return ok(id, `linked as ${linked.meId} (in the store)`);
    } catch (err) {
      return fail(id, isWagateError(err) ? err.message : String(err), relink);
    }
  }
  const where = `${info.dir}${info.legacy ? ' (legacy layout)' : ''}`;
  let c;
  try {
    c = await inspectCreds(info.dir);
  } catch (err) {
    return fail(id, isWagateError(err) ? err.message : String(err), `fix the permissions of ${info.dir}`);
  }
  if (c.creds === 'missing' && c.backup === 'missing') return warn(id, 'Not linked: no creds in the store', `run \`wagate channels login${flag}\``);
  if (c.creds !== 'ok' && c.backup !== 'ok') {
    return fail(id, `not imported: creds.json is ${c.creds} and the backup is ${c.backup} in ${where}`, `${relink}, or restore a good creds.json into ${info.dir}`);
  }
  const next = 'imported into the store when the gateway or `wagate channels login` next starts';
  if (!c.linked) return warn(id, `Not linked: ${where} holds creds that were never linked`, `run \`wagate channels login${flag}\``);
  return ok(id, `linked as ${c.meId} in ${where}, ${c.creds === 'ok' ? '' : 'from creds.json.bak, '}${next}`);
}

/** A directory's entries, or none when it does not exist. */
async function entries(dir: string): Promise<string[]> {
  return readdir(dir).catch((err: unknown) => {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return [] as string[];
    throw err;
  });
}

/**
 * 4. Old files: the auth directories and access-side files (pairing, allowFrom, dedupe,
 * activation, connection history) moved aside after their import into the store (they
 * can be removed), and Baileys files still in an auth dir whose account
 * has creds in the store (not used; left by a crash between the import and the move,
 * or copied there later).
 */
export async function checkImported(infos: AccountDirInfo[], stateDir: string, store: Store | null): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const parents = new Set([
    stateDir,
    credentialsDir(stateDir),
    path.join(credentialsDir(stateDir), 'whatsapp'),
    dedupeDir(stateDir),
    ...infos.map((i) => path.dirname(path.resolve(i.dir))),
  ]);
  const moved: string[] = [];
  for (const parent of parents) {
    for (const name of await entries(parent)) if (name.includes(IMPORTED_SUFFIX)) moved.push(path.join(parent, name));
  }
  moved.sort();
  out.push(
    moved.length === 0
      ? ok('imported', 'no old auth directories or state files left over')
      : ok(
          'imported',
          `${moved.length} old auth director${moved.length === 1 ? 'y or file was' : 'ies or files were'} imported into the store and can be removed ` +
            `(nothing reads them any more): ${moved.join(', ')}`,
        ),
  );
  for (const info of infos) {
    if (!store || !(await store.creds.load(info.account.accountId))) continue;
    const left = (await entries(info.dir)).filter((n) => isAuthFileName(n) && !n.startsWith('.'));
    if (left.length === 0) continue;
    out.push(
      warn(
        `old-auth:${info.account.accountId}`,
        `${left.length} Baileys file(s) in ${info.dir} are not used: the store has this account's creds`,
        `move them away (e.g. to ${info.dir}${IMPORTED_SUFFIX}old) or remove them`,
      ),
    );
  }
  return out;
}

/**
 * 5. Which ffmpeg transcodes audio to voice notes, and where it came from: the
 * message starts with the source (`env`, `config`, `path`, `bundled`, `none`).
 */
export async function checkFfmpeg(config: WagateConfig, env: Env, bundled?: () => string | null): Promise<CheckResult> {
  const id = 'ffmpeg';
  let r;
  try {
    r = await resolveFfmpeg({ configured: config.media.ffmpegPath, env, ...(bundled ? { bundled } : {}) });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return fail(id, message, 'fix or remove the named setting, then run `wagate doctor` again');
  }
  if (!r.bin) {
    return warn(id, `none: ${r.from}; audio is sent as plain files, not voice notes`, 'run `npm ci`, install ffmpeg on PATH, or set media.ffmpegPath');
  }
  const version = await ffmpegVersion(r.bin);
  if (!version) {
    return fail(id, `${r.source}: ${r.bin} (${r.from}) does not run (\`${r.bin} -version\` failed)`, 'point WAGATE_FFMPEG or media.ffmpegPath at a working ffmpeg, or unset them');
  }
  return ok(id, `${r.source}: ${r.bin} (${r.from}), ${version}`);
}
