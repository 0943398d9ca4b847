/**
 * Raw (parsed JSON5) value → a complete, checked `WagateConfig`, or a
 * WAGATE_ERR_CONFIG error naming the file, key path, found and expected value.
 * Loading and writing both go through here, so a write is validated like a load.
 */
import { WagateError } from '../errors.js';
import { configError, problemsFromIssues } from './format-error.js';
import { checkRules } from './rules.js';
import type { KeyPath } from './key-path.js';
import { knownKeysAt } from './schema-keys.js';
import { ConfigSchema, type WagateConfig } from './schema.js';

/** Deeper than any real config (the deepest key has 6 levels); a guard against recursion. */
export const MAX_CONFIG_DEPTH = 32;

/**
 * The path of the first value nested deeper than `max`, or null. Iterative, so
 * a 10 KB file of `[[[[…` is reported, not a "Maximum call stack size exceeded".
 */
export function tooDeepAt(raw: unknown, max = MAX_CONFIG_DEPTH): KeyPath | null {
  const stack: { value: unknown; path: KeyPath }[] = [{ value: raw, path: [] }];
  while (stack.length) {
    const { value, path } = stack.pop() as { value: unknown; path: KeyPath };
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= max) return path;
    const entries: [string | number, unknown][] = Array.isArray(value)
      ? value.map((v, i) => [i, v])
      : Object.entries(value as Record<string, unknown>);
    for (const [k, v] of entries) stack.push({ value: v, path: [...path, k] });
  }
  return null;
}

export function validateConfig(raw: unknown, file: string): WagateConfig {
  const deep = tooDeepAt(raw);
  if (deep) {
    const shown = 8; // the start of the path says where; the rest is the same bracket again and again
    const problem = {
      path: deep.slice(0, shown),
      expected: '',
      text: `${deep.length > shown ? '… ' : ''}is nested more than ${MAX_CONFIG_DEPTH} levels deep; a config needs at most 6 (check the brackets)`,
    };
    throw configError(file, [problem], raw);
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = problemsFromIssues(parsed.error.issues, raw, (p) => knownKeysAt(ConfigSchema, p, raw));
    throw configError(file, problems, raw);
  }
  const problems = checkRules(parsed.data);
  if (problems.length) throw configError(file, problems, raw);
  return parsed.data;
}

/** True when `err` is a config validation/parse error. */
export function isConfigError(err: unknown): err is WagateError {
  return err instanceof WagateError && err.code === 'WAGATE_ERR_CONFIG';
}
