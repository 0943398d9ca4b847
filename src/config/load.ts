/**
 * Reading the config file (SPEC §2): JSON5, validated, defaults applied.
 * A missing file means all defaults; anything else that goes wrong (syntax,
 * wrong value, unreadable file, a directory) throws WAGATE_ERR_CONFIG. Never
 * "defaults" for a file that exists but cannot be read.
 */
import fs from 'node:fs';
import os from 'node:os';
import JSON5 from 'json5';
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

/** Read the file's text; null when it does not exist. Other failures throw WAGATE_ERR_CONFIG. */
export function readConfigText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'EISDIR') throw configFileError(file, 'it is a directory; expected a JSON5 file.', err);
    if (code === 'EACCES' || code === 'EPERM') {
      throw configFileError(file, 'permission denied reading it; fix its permissions.', err);
    }
    throw configFileError(file, `cannot read it (${code ?? (err as Error).message}).`, err);
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
