/**
 * Reading the config file (SPEC §2): JSON5, validated, defaults applied.
 * A missing file means all defaults; anything else that goes wrong (syntax,
 * wrong value, unreadable file, a directory, a FIFO or device, a file over
 * 1 MiB, nesting too deep) throws WAGATE_ERR_CONFIG. Never "defaults" for a
 * file that exists but cannot be read.
 */
import fs from 'node:fs';
import os from 'node:os';
import JSON5 from 'json5';
import { isWagateError } from '../errors.js';
import { configFileError } from './format-error.js';
import { resolveConfigPath, type Env } from './paths.js';
import type { WagateConfig } from './schema.js';
import { validateConfig } from './validate.js';

export interface LoadedConfig {
  /** Absolute path of the config file (whether or not it exists). */
  path: string;
  exists: boolean;
  config: WagateConfig;
}

export interface LoadOptions {
  /** Explicit path (the `--config` value); else $WAGATE_CONFIG, else <state>/wagate.json. */
  path?: string | undefined;
  env?: Env;
  homedir?: string;
}

/** The largest config file read (1 MiB); a real one is a few KB. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** What a non-regular file is, for the error. */
function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Read the file's text; null when it does not exist. Only a regular file of at
 * most MAX_CONFIG_BYTES is read: a directory, FIFO or device (`/dev/zero`) is
 * refused at once (opened non-blocking, so a FIFO never hangs), and so is a
 * bigger file. Other failures throw WAGATE_ERR_CONFIG too.
 */
export function readConfigText(file: string): string | null {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'EISDIR') throw configFileError(file, 'it is a directory; expected a JSON5 file.', err);
    if (code === 'EACCES' || code === 'EPERM') {
      throw configFileError(file, 'permission denied reading it; fix its permissions.', err);
    }
    throw configFileError(file, `cannot read it (${code ?? (err as Error).message}).`, err);
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw configFileError(file, 'it is a directory; expected a JSON5 file.');
    if (!st.isFile()) {
      throw configFileError(file, `it is ${kindOf(st)}, not a regular file; point --config or $WAGATE_CONFIG at a JSON5 file.`);
    }
    const limit = `${MAX_CONFIG_BYTES / 1024 / 1024} MiB`;
    if (st.size > MAX_CONFIG_BYTES) {
      throw configFileError(file, `it is ${st.size} bytes, more than the ${limit} a config file may be; check the path.`);
    }
    // Read at most one byte past the cap, in case the file grew since fstat.
    const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let n = 0;
    for (;;) {
      const got = fs.readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n > MAX_CONFIG_BYTES) {
        throw configFileError(file, `it is more than the ${limit} a config file may be; check the path.`);
      }
    }
    return buf.toString('utf8', 0, n);
  } catch (err) {
    if (isWagateError(err)) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw configFileError(file, 'it is a directory; expected a JSON5 file.', err);
    throw configFileError(file, `cannot read it (${code ?? (err as Error).message}).`, err);
  } finally {
    fs.closeSync(fd);
  }
}

/** JSON5 text → raw value. Syntax errors name line and column. */
export function parseConfigText(text: string, file: string): unknown {
  if (text.trim() === '') {
    throw configFileError(file, 'the file is empty; expected a JSON5 object such as {}.');
  }
  try {
    return JSON5.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    const e = err as SyntaxError & { lineNumber?: number; columnNumber?: number };
    const what = e.message.replace(/^JSON5: /, '').replace(/ at \d+:\d+$/, '');
    const where = e.lineNumber !== undefined ? ` at line ${e.lineNumber}, column ${e.columnNumber ?? '?'}` : '';
    throw configFileError(file, `JSON5 syntax error${where}: ${what}.`, err);
  }
}

/** Load, parse and validate the config. Throws WagateError('WAGATE_ERR_CONFIG') on any problem. */
export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const file = resolveConfigPath(opts.path, opts.env ?? process.env, opts.homedir ?? os.homedir());
  const text = readConfigText(file);
  if (text === null) return { path: file, exists: false, config: validateConfig({}, file) };
  return { path: file, exists: true, config: validateConfig(parseConfigText(text, file), file) };
}
