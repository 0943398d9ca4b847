/**
 * Writing files safely, and editing the config (SPEC §1, §2).
 *
 * `writeFileAtomic` is the one way wagate writes a file that must never be seen
 * half-written (config, creds, stores, token): temp file in the same dir, write,
 * fsync, rename over the target, fsync the dir; mode 0600 by default; the temp is
 * removed on failure and the old file stays as it was.
 *
 * `setConfigValue` / `unsetConfigValue` read the file, change one key, validate
 * the result exactly like a load and write it atomically. An invalid change
 * writes nothing and throws WAGATE_ERR_CONFIG. The file is rewritten as JSON
 * (valid JSON5): comments and formatting are not preserved.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import JSON5 from 'json5';
import { WagateError } from '../errors.js';
import { KeyedQueue } from '../keyed-queue.js';
import { chmodNeeded } from '../file-mode.js';
import { formatKeyPath, parseKeyPath, setAt, unsetAt, type KeyPath } from './key-path.js';
import { parseConfigText, readConfigText, type LoadedConfig } from './load.js';
import { validateConfig } from './validate.js';

/** The subset of `fs.promises` the atomic writer uses (tests inject failures). */
export type AtomicFs = Pick<typeof fs.promises, 'open' | 'rename' | 'unlink'>;

export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  mode = 0o600,
  fsp: AtomicFs = fs.promises,
): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fsp.open(tmp, 'wx', mode);
    await handle.writeFile(data);
    if (chmodNeeded(mode)) await handle.chmod(mode); // the umask narrowed it; make it exact
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fsp.rename(tmp, file);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await fsp.unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dir);
}

/** Make the rename durable. Some platforms cannot fsync a directory; that is not an error. */
async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch {
    // EISDIR / EINVAL / EPERM on platforms without directory fsync
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

// ---- config edits ----

/** Edits of one file run one after another (no lost updates inside a process). */
const edits = new KeyedQueue();

function editError(file: string, what: string, cause?: unknown): WagateError {
  return new WagateError('WAGATE_ERR_CONFIG', `Invalid config ${file}: ${what}`, { cause });
}

function parseKey(file: string, keyPath: string): KeyPath {
  try {
    return parseKeyPath(keyPath);
  } catch (err) {
    throw editError(file, `${(err as Error).message}.`, err);
  }
}

/**
 * A `/config set` value: JSON5 (`true`, `50`, `"x"`, `["+1555…"]`, `{emoji: "👀"}`);
 * a bare word that is not JSON5 (`allowlist`) is taken as a string.
 */
export function parseConfigValue(text: string, file: string): unknown {
  const t = text.trim();
  try {
    return JSON5.parse(t);
  } catch (err) {
    if (t && !/^["'{[]/.test(t) && !/\s/.test(t)) return t;
    const msg = (err as Error).message.replace(/^JSON5: /, '');
    throw editError(file, `the value ${JSON.stringify(text)} is not valid JSON5 (${msg}).`, err);
  }
}

async function readRaw(file: string): Promise<Record<string, unknown>> {
  const text = readConfigText(file);
  if (text === null) return {};
  const raw = parseConfigText(text, file);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw editError(file, 'the top level is not an object; fix the file by hand first.');
  }
  return raw as Record<string, unknown>;
}

async function commit(file: string, raw: Record<string, unknown>): Promise<LoadedConfig> {
  const config = validateConfig(raw, file);
  try {
    await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeFileAtomic(file, `${JSON.stringify(raw, null, 2)}\n`, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new WagateError('WAGATE_ERR_CONFIG_WRITE', `Could not write config ${file} (${code}); nothing was changed.`, {
      cause: err,
    });
  }
  return { path: file, exists: true, config };
}

export interface EditOptions {
  /**
   * Called with the parsed key path and the file as it is, inside the edit's turn,
   * before anything changes; it throws to refuse the edit (`/config` from chat
   * checks its allowlist here). Its error is passed through as it is.
   */
  guard?: (keys: KeyPath, raw: Readonly<Record<string, unknown>>) => void;
}

/** Set `keyPath` (e.g. `channels.whatsapp.dmPolicy`) to a JSON5 value, validated and atomic. */
export function setConfigValue(file: string, keyPath: string, json5Value: string, opts: EditOptions = {}): Promise<LoadedConfig> {
  return edits.run(file, async () => {
    const keys = parseKey(file, keyPath);
    const raw = await readRaw(file);
    opts.guard?.(keys, raw);
    const value = parseConfigValue(json5Value, file);
    try {
      setAt(raw, keys, value);
    } catch (err) {
      throw editError(file, `cannot set ${formatKeyPath(keys)}: ${(err as Error).message}.`, err);
    }
    return commit(file, raw);
  });
}

/** Remove `keyPath` (its default applies again). `removed` is false when it was not set. */
export function unsetConfigValue(
  file: string,
  keyPath: string,
  opts: EditOptions = {},
): Promise<LoadedConfig & { removed: boolean }> {
  return edits.run(file, async () => {
    const keys = parseKey(file, keyPath);
    const raw = await readRaw(file);
    opts.guard?.(keys, raw);
    let removed: boolean;
    try {
      removed = unsetAt(raw, keys);
    } catch (err) {
      throw editError(file, `cannot unset ${formatKeyPath(keys)}: ${(err as Error).message}.`, err);
    }
    if (!removed) return { path: file, exists: readConfigText(file) !== null, config: validateConfig(raw, file), removed };
    return { ...(await commit(file, raw)), removed };
  });
}

/**
 * Change the file's raw value with `update` (which returns false for "nothing to
 * change"), validated like a load and written atomically, in the file's edit turn.
 * `wagate import openclaw` merges keys this way.
 */
export function updateConfig(
  file: string,
  update: (raw: Record<string, unknown>) => boolean,
): Promise<LoadedConfig & { changed: boolean }> {
  return edits.run(file, async () => {
    const raw = await readRaw(file);
    if (!update(raw)) return { path: file, exists: readConfigText(file) !== null, config: validateConfig(raw, file), changed: false };
    return { ...(await commit(file, raw)), changed: true };
  });
}
