/**
 * Raw (parsed JSON5) value → a complete, checked `WagateConfig`, or a
 * WAGATE_ERR_CONFIG error naming the file, key path, found and expected value.
 * Loading and writing both go through here, so a write is validated like a load.
 */
import { WagateError } from '../errors.js';
import { configError, problemsFromIssues } from './format-error.js';
import { checkRules } from './rules.js';
import { knownKeysAt } from './schema-keys.js';
import { ConfigSchema, type WagateConfig } from './schema.js';

export function validateConfig(raw: unknown, file: string): WagateConfig {
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
