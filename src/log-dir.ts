/**
 * Where the daily log files go (SPEC §1, README "Security → The log directory").
 * The default `/tmp/wagate` sits in a directory every user can write to, so
 * another user may have created it first. It is used only when it is a real
 * directory (not a symlink), owned by the gateway's user and not writable by
 * group or others; wagate creates it with mode 0700. Otherwise the logs go to
 * `<state>/logs/` and the reason is logged. Log files are opened with O_NOFOLLOW:
 * a symlink planted where a log file should be is never followed.
 * The gateway (writing) and `wagate logs` (reading) resolve it the same way.
 */
import fs from 'node:fs';

export interface LogDirOptions {
  /** The wanted directory (default `/tmp/wagate`; tests inject their own). */
  dir: string;
  /** Where to go instead (`<state>/logs`); null = no fallback. */
  fallbackDir: string | null;
  /** Create the directory (the gateway) or only look (`wagate logs`). */
  create: boolean;
  /** The gateway's user (default process.getuid(); undefined = no owner check, e.g. Windows). */
  uid?: number | undefined;
}

export interface LogDir {
  /** The directory to use; null when the wanted one was refused and there is no fallback. */
  dir: string | null;
  /** Why the wanted directory was refused. */
  refused?: string;
}

const mode = (m: number) => `0${(m & 0o777).toString(8)}`;

/** Why `dir` may not hold wagate's logs, or null when it may (a missing dir is fine when only looking). */
export function logDirProblem(dir: string, create: boolean, uid: number | undefined): string | null {
  if (create) {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return `cannot create it (${(err as Error).message})`;
    }
  }
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (err) {
    if (!create && (err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return `cannot inspect it (${(err as Error).message})`;
  }
  if (st.isSymbolicLink()) return 'it is a symlink';
  if (!st.isDirectory()) return 'it is not a directory';
  if (uid !== undefined && st.uid !== uid) return `it is owned by uid ${st.uid}, not the gateway's user (uid ${uid})`;
  if (st.mode & 0o022) return `it is writable by group or others (mode ${mode(st.mode)})`;
  return null;
}

/** The directory of the daily log files, after the checks above. */
export function resolveLogDir(opts: LogDirOptions): LogDir {
  const uid = 'uid' in opts ? opts.uid : process.getuid?.();
  const problem = logDirProblem(opts.dir, opts.create, uid);
  if (!problem) return { dir: opts.dir };
  const refused = `${opts.dir}: ${problem}`;
  if (!opts.fallbackDir) return { dir: null, refused };
  if (opts.create) fs.mkdirSync(opts.fallbackDir, { recursive: true, mode: 0o700 });
  return { dir: opts.fallbackDir, refused };
}

const APPEND = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | (fs.constants.O_NOFOLLOW ?? 0);

/** Open a log file for appending, mode 0600, never through a symlink. */
export function openLogFile(file: string): number {
  try {
    return fs.openSync(file, APPEND, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new Error(`${file} is a symlink; log files are never opened through one`, { cause: err });
    }
    throw err;
  }
}
