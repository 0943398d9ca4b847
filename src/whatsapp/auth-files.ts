/**
 * Durable file primitives for the auth store (SPEC §1): every write goes to a temp
 * file in the same directory, is fsynced, renamed over the target, and the directory
 * is fsynced, so a crash leaves either the old or the new file, never a torn one.
 * Files are 0600, directories 0700.
 *
 * `src/config/write.ts` has the general `writeFileAtomic` (it did not exist when this
 * was written). The auth store keeps its own because it also needs `writeFilesAtomic`:
 * a creds save writes `.bak` and `creds.json` in one batch with one directory fsync,
 * half the fsyncs of two single writes (measured ~11 ms vs ~23 ms per save here).
 */
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { chmodNeeded } from '../file-mode.js';

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/** Temp files look like `.creds.json.<pid>.<seq>.tmp`; the pid says who wrote them. */
const TEMP_RE = /^\.(.+)\.(\d+)\.(\d+)\.tmp$/;
let tempSeq = 0;

function tempPathFor(target: string): string {
  tempSeq += 1;
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${tempSeq}.tmp`);
}

/** The file a temp file was going to replace (`.creds.json.12.3.tmp` → `creds.json`). */
export function tempTarget(name: string): string | undefined {
  return TEMP_RE.exec(name)?.[1];
}

export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err
    ? String((err as { code: unknown }).code)
    : undefined;
}

/** Write `data` to a fresh temp file beside `target`, fsync it; returns the temp path. */
async function writeTemp(target: string, data: string | Uint8Array, mode: number, durable: boolean): Promise<string> {
  const tmp = tempPathFor(target);
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    if (chmodNeeded(mode)) await fh.chmod(mode); // the umask narrowed open()'s mode; set it exactly
    await fh.writeFile(data);
    if (durable) await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  return tmp;
}

/** fsync a directory so a rename inside it survives a power loss. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Atomically replace `target` with `data` (temp, fsync, rename, fsync dir). */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  mode: number = FILE_MODE,
): Promise<void> {
  await writeFilesAtomic(path.dirname(target), [{ name: path.basename(target), data }], mode);
}

/**
 * Atomically replace several files in one directory: each file is replaced
 * atomically on its own, and the directory is fsynced once at the end.
 *
 * `durable: false` skips the fsyncs: every file is still replaced whole (temp +
 * rename: a killed process never leaves a torn or empty file), but a power loss
 * may undo the last writes. Used for Signal key files, which change on every
 * message and which WhatsApp's retry receipts repair; creds are always durable.
 */
export async function writeFilesAtomic(
  dir: string,
  files: ReadonlyArray<{ name: string; data: string | Uint8Array }>,
  mode: number = FILE_MODE,
  opts: { durable?: boolean } = {},
): Promise<void> {
  const durable = opts.durable ?? true;
  if (files.length === 0) return;
  const temps = await Promise.allSettled(
    files.map((f) => writeTemp(path.join(dir, f.name), f.data, mode, durable)),
  );
  const failed = temps.find((t): t is PromiseRejectedResult => t.status === 'rejected');
  if (failed) {
    await Promise.all(
      temps.map((t) => (t.status === 'fulfilled' ? unlink(t.value).catch(() => undefined) : undefined)),
    );
    throw failed.reason;
  }
  for (let i = 0; i < files.length; i++) {
    const t = temps[i] as PromiseFulfilledResult<string>;
    try {
      await rename(t.value, path.join(dir, files[i]!.name));
    } catch (err) {
      for (const rest of temps.slice(i)) {
        await unlink((rest as PromiseFulfilledResult<string>).value).catch(() => undefined);
      }
      throw err;
    }
  }
  if (durable) await fsyncDir(dir);
}

/** The file's text, or `undefined` when it does not exist. Any other error is thrown. */
export async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** What `ensurePrivateDir` found. */
export interface PrivateDirState {
  /** True when this call created the directory itself (so it is 0700 or tighter). */
  created: boolean;
  /** Its permission bits (`st.mode & 0o777`). */
  mode: number;
}

/**
 * Create `dir` (0700, parents too) if needed; throws if it is not a directory.
 * A directory that already exists is never chmod'ed: it is the user's, and the
 * caller warns when others can read or write it (see `openAuthStore`).
 */
export async function ensurePrivateDir(dir: string): Promise<PrivateDirState> {
  const made = await mkdir(dir, { recursive: true, mode: DIR_MODE });
  const st = await stat(dir);
  if (!st.isDirectory()) {
    throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR' });
  }
  const created = made !== undefined;
  // mkdir's mode went through the umask, which can only clear bits: a new dir is 0700 or tighter.
  return { created, mode: st.mode & 0o777 };
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

/**
 * Remove temp files left by writers that died mid-write, for targets `ours` accepts
 * (other writers' temps in a shared dir are left alone). Returns the removed paths.
 */
export async function removeStaleTemps(
  dir: string,
  ours: (target: string) => boolean,
): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    const m = TEMP_RE.exec(name);
    if (!m || !ours(m[1]!) || pidAlive(Number(m[2]))) continue;
    const p = path.join(dir, name);
    try {
      await unlink(p);
      removed.push(p);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
  }
  return removed;
}
