/**
 * Config errors as one line: the file, the key path, what was found, what was
 * expected. `Invalid config /x/wagate.json: channels.whatsapp.dmPolicy is "opne";
 * expected one of "pairing", "allowlist", "open", "disabled".`
 */
import type { z } from 'zod';
import { WagateError } from '../errors.js';
import { formatKeyPath, getAt, SECRET_KEY_NAME, type KeyPath } from './key-path.js';
import { EXPECTED_PREFIX } from './schema-common.js';

/** One thing wrong with a config, from zod or from a cross-field rule. */
export interface ConfigProblem {
  path: KeyPath;
  /** What the file holds there; default: a description of the raw value at `path`. */
  found?: string;
  expected: string;
  /** Replaces "is <found>; expected <expected>" entirely. */
  text?: string;
}

/** A short, quoted description of a raw value for messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'missing';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (v === null || typeof v !== 'object') return String(v);
  const json = JSON.stringify(v);
  if (json.length <= 60) return json;
  return Array.isArray(v) ? `a list of ${v.length} items` : 'an object';
}

export function quoteList(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? JSON.stringify(v) : String(v))).join(', ');
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  record: 'an object',
};

type Issue = z.core.$ZodIssue;

function expectedOf(issue: Issue): string {
  if (issue.message.startsWith(EXPECTED_PREFIX)) return issue.message.slice(EXPECTED_PREFIX.length);
  switch (issue.code) {
    case 'invalid_type':
      return TYPE_NAMES[issue.expected] ?? issue.expected;
    case 'invalid_value':
      return issue.values.length === 1 ? quoteList(issue.values) : `one of ${quoteList(issue.values)}`;
    case 'too_small':
      return `${issue.inclusive ? 'at least' : 'more than'} ${String(issue.minimum)}${unitOf(issue.origin)}`;
    case 'too_big':
      return `${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}${unitOf(issue.origin)}`;
    default:
      return issue.message;
  }
}

function unitOf(origin: string): string {
  if (origin === 'array' || origin === 'set') return ' items';
  if (origin === 'string') return ' characters';
  return '';
}

/** Turn zod issues into problems; `knownKeys(path)` lists the keys allowed at an object path. */
export function problemsFromIssues(
  issues: readonly Issue[],
  raw: unknown,
  knownKeys: (path: KeyPath) => string[] | null,
): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(path) ?? [];
      for (const key of issue.keys) {
        out.push({ path: [...path, key], expected: '', text: unknownKeyText(key, known) });
      }
      continue;
    }
    out.push({ path, expected: expectedOf(issue) });
  }
  return out;
}

function unknownKeyText(key: string, known: readonly string[]): string {
  const list = known.filter((k) => k !== '$schema');
  const near = closest(key, list);
  if (near) return `is not a known key; did you mean ${JSON.stringify(near)}?`;
  return list.length ? `is not a known key; expected one of ${quoteList(list)}` : 'is not a known key';
}

/** A known key within edit distance 2 (or equal ignoring case), if any. */
export function closest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = 3;
  for (const c of candidates) {
    const d = c.toLowerCase() === word.toLowerCase() ? 0 : editDistance(word, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + cost);
      diag = up;
    }
  }
  return prev[b.length] as number;
}

export function formatProblem(p: ConfigProblem, raw: unknown): string {
  const where = formatKeyPath(p.path);
  if (p.text) return `${where} ${p.text}`;
  // store.url may hold the database password.
  const secret = p.path.some((k) => typeof k === 'string' && SECRET_KEY_NAME.test(k)) || formatKeyPath(p.path) === 'store.url';
  const found = p.found ?? (secret ? 'a value not shown here (the key name says it is a secret)' : describeValue(getAt(raw, p.path)));
  return `${where} is ${found}; expected ${p.expected}`;
}

/** The WAGATE_ERR_CONFIG error for a file with problems (the first in full, then the others' paths). */
export function configError(file: string, problems: readonly ConfigProblem[], raw: unknown): WagateError {
  const [first, ...rest] = problems;
  const head = first ? formatProblem(first, raw) : 'unknown problem';
  let msg = `Invalid config ${file}: ${head}${/[.?!]$/.test(head) ? '' : '.'}`;
  if (rest.length) {
    const paths = rest.slice(0, 3).map((p) => formatKeyPath(p.path));
    const more = rest.length > 3 ? `, and ${rest.length - 3} more` : '';
    msg += ` Also wrong: ${paths.join(', ')}${more}.`;
  }
  return new WagateError('WAGATE_ERR_CONFIG', msg);
}

/** A config error that is not about one key (syntax, unreadable file). */
export function configFileError(file: string, what: string, cause?: unknown): WagateError {
  return new WagateError('WAGATE_ERR_CONFIG', `Invalid config ${file}: ${what}`, { cause });
}
