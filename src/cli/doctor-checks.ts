/**
 * `wagate doctor`'s checks on disk: the config, the state dir, the token file,
 * each account's creds (and their modes), and the legacy creds layout with its
 * migration. Each check returns `ok | warn | fail`, a one-line message and,
 * when not ok, the fix. With `fix: true` the safe fixes are applied (chmod,
 * moving legacy files); nothing else is ever written.
 */
import { chmod, mkdir, readdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig, type AccountConfig, type Env, type WagateConfig } from '../config/index.js';
import { isWagateError } from '../errors.js';
import { tokenFilePath } from '../state-layout.js';
import { ffmpegVersion, resolveFfmpeg } from '../media/ffmpeg.js';
import { errnoCode, fsyncDir } from '../whatsapp/auth-files.js';
import { isAuthFileName } from '../whatsapp/auth-layout.js';
import { inspectCreds, resolveAuthDir } from '../whatsapp/auth-store.js';

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

/** 3a. One account's creds: present, parsable, backed up, linked. */
export async function checkCreds(info: AccountDirInfo): Promise<CheckResult> {
  const acctId = info.account.accountId;
  const id = `creds:${acctId}`;
  const flag = acctId === 'default' ? '' : ` --account ${acctId}`;
  const where = `${info.dir}${info.legacy ? ' (legacy layout)' : ''}`;
  let c;
  try {
    c = await inspectCreds(info.dir);
  } catch (err) {
    return fail(id, isWagateError(err) ? err.message : String(err), `fix the permissions of ${info.dir}`);
  }
  const relink = `run \`wagate channels logout${flag}\` then \`wagate channels login${flag}\`, or restore a good creds.json into ${info.dir}`;
  if (c.creds === 'missing' && c.backup === 'missing') {
    return warn(id, `Not linked: no creds in ${where}`, `run \`wagate channels login${flag}\``);
  }
  if (c.creds !== 'ok' && c.backup !== 'ok') {
    return fail(id, `creds.json is ${c.creds} and the backup is ${c.backup} in ${where}`, relink);
  }
  if (c.creds !== 'ok') {
    return warn(id, `creds.json is ${c.creds} in ${where}; creds.json.bak is good`, 'start the gateway: it restores creds.json from creds.json.bak');
  }
  if (!c.linked) return warn(id, `Not linked: ${where} holds creds that were never linked`, `run \`wagate channels login${flag}\``);
  if (c.backup === 'empty' || c.backup === 'corrupt') {
    return warn(id, `linked as ${c.meId} in ${where}, but creds.json.bak is ${c.backup}`, 'start the gateway: the next creds save rewrites the backup');
  }
  const bak = c.backup === 'ok' ? 'backup present' : 'no backup yet (written on the next creds save)';
  return ok(id, `linked as ${c.meId} in ${where}, ${bak}`);
}

/** 3b. The auth dir is 0700 and its Baileys files 0600. */
export async function checkCredsModes(info: AccountDirInfo, fix: boolean): Promise<CheckResult> {
  const id = `creds-mode:${info.account.accountId}`;
  const dirSt = await statOrNull(info.dir).catch(() => null);
  if (!dirSt?.isDirectory()) return ok(id, `no auth dir at ${info.dir} yet`);
  const loose: { p: string; want: number; mode: number }[] = [];
  if ((dirSt.mode & 0o077) !== 0 && !info.legacy) loose.push({ p: info.dir, want: 0o700, mode: dirSt.mode });
  for (const name of (await readdir(info.dir)).filter(isAuthFileName).sort()) {
    const p = path.join(info.dir, name);
    const st = await statOrNull(p);
    if (st?.isFile() && (st.mode & 0o077) !== 0) loose.push({ p, want: 0o600, mode: st.mode });
  }
  if (loose.length === 0) return ok(id, `auth files in ${info.dir} are private`);
  const names = loose.map((l) => `${path.basename(l.p)} ${octal(l.mode)}`).slice(0, 3).join(', ') + (loose.length > 3 ? ', …' : '');
  if (fix) {
    for (const l of loose) await chmod(l.p, l.want);
    return ok(id, `fixed: ${loose.length} auth file(s) in ${info.dir} made private (${names})`);
  }
  return warn(
    id,
    `${loose.length} auth file(s) in ${info.dir} are readable by others (${names})`,
    `chmod 600 the files and 700 the dir (or run \`wagate doctor --fix\`)`,
  );
}

/** The Baileys files of a legacy dir: creds, backup, key files (not `.…tmp` temps, stores or `whatsapp/`). */
export async function legacyFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch((err: unknown) => {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return [] as string[];
    throw err;
  });
  const out: string[] = [];
  for (const name of names.filter((n) => isAuthFileName(n) && !n.startsWith('.'))) {
    if ((await statOrNull(path.join(dir, name)))?.isFile()) out.push(name);
  }
  // Key files first, the backup, creds.json last: until creds.json moves, the legacy dir stays in use.
  const rank = (n: string) => (n === 'creds.json' ? 2 : n === 'creds.json.bak' ? 1 : 0);
  return out.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export interface LegacyOptions {
  /** `<state>/credentials`. */
  legacyDir: string;
  /** Where the default account's files belong. */
  target: string;
  fix: boolean;
  /** Why a --fix must not move anything now (e.g. the gateway is running). */
  blocked?: string;
}

/** 4. The legacy layout (`<state>/credentials/creds.json`) and its migration. */
export async function checkLegacy(opts: LegacyOptions): Promise<CheckResult> {
  const id = 'legacy-layout';
  const files = await legacyFiles(opts.legacyDir);
  if (!files.includes('creds.json') && !files.includes('creds.json.bak')) return ok(id, 'no legacy creds in ' + opts.legacyDir);
  const target = await inspectCreds(opts.target).catch(() => null);
  if (!target || target.creds !== 'missing' || target.backup !== 'missing') {
    return warn(
      id,
      `legacy creds in ${opts.legacyDir} are not used: ${opts.target} has its own creds` + (opts.fix ? '; not moved' : ''),
      `keep one: remove the Baileys files (creds.json, creds.json.bak, <type>-<id>.json) from ${opts.legacyDir} or from ${opts.target}`,
    );
  }
  const how =
    `with the gateway stopped, run \`wagate doctor --fix\` to move creds.json, creds.json.bak and the ` +
    `<type>-<id>.json key files into ${opts.target} (pairing stores and oauth.json stay)`;
  if (!opts.fix) return warn(id, `legacy layout: ${files.length} Baileys file(s) directly in ${opts.legacyDir}`, how);
  if (opts.blocked) return warn(id, `legacy layout not migrated: ${opts.blocked}`, how);
  let moved = 0;
  try {
    await mkdir(opts.target, { recursive: true, mode: 0o700 });
    for (const name of files) {
      await rename(path.join(opts.legacyDir, name), path.join(opts.target, name));
      moved += 1;
    }
    await fsyncDir(opts.target);
    await fsyncDir(opts.legacyDir);
  } catch (err) {
    const code = errnoCode(err) ?? (err as Error).message;
    return fail(id, `moving the legacy files failed after ${moved} of ${files.length} (${code})`, how.replace('run `wagate doctor --fix` to ', ''));
  }
  return ok(id, `fixed: moved ${files.length} Baileys file(s) from ${opts.legacyDir} to ${opts.target}`);
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
