import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigSchema, PER_ACCOUNT_KEYS } from '../../src/config/index.js';
import { knownKeysAt } from '../../src/config/schema-keys.js';
import { ROOT } from '../helpers/cli.js';

/**
 * README.md's config table ("Every key, with its default") is the one config key
 * table (src/config/README.md was a second copy and is gone); this test holds
 * it to the zod schema: every key, every default, every per-account flag.
 */
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const table = readme.slice(readme.indexOf('| key | default | notes |'));
const rows = table
  .split('\n')
  .slice(2)
  .filter((_, i, all) => all.slice(0, i + 1).every((l) => l.startsWith('|')))
  .map((l) => {
    const [, key = '', def = '', notes = ''] = /^\| `([^`]+)` \| (.*?) \|\s?(.*?)\s?\|$/.exec(l) ?? [];
    return { key, def, notes, line: l };
  });

/** `agents.list[].heartbeat.*` → ['agents', 'list', 'heartbeat']: map keys, array items and wildcards dropped. */
const schemaPath = (key: string) =>
  key
    .replace(/\[\]|\["[^"]*"\]|\.<[a-z]+>|\.\*$/g, '')
    .split('.')
    .filter(Boolean);

const sections: string[][] = [
  [],
  ['channels'],
  ['channels', 'whatsapp'],
  ['channels', 'whatsapp', 'ackReaction'],
  ['channels', 'whatsapp', 'actions'],
  ['agents'],
  ['agents', 'defaults'],
  ['agents', 'defaults', 'heartbeat'],
  ['messages'],
  ['messages', 'groupChat'],
  ['session'],
  ['commands'],
  ['web'],
  ['web', 'reconnect'],
  ['gateway'],
  ['gateway', 'auth'],
  ['logging'],
  ['media'],
  ['metrics'],
  ['store'],
  ['cluster'],
];

const defaults = ConfigSchema.parse({}) as Record<string, unknown>;
const valueAt = (p: string[]) => p.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), defaults);

describe('the README config table against the schema', () => {
  it('has rows', () => expect(rows.length).toBeGreaterThan(40));

  for (const section of sections) {
    it(`names every key of ${section.join('.') || '(root)'}`, () => {
      const keys = knownKeysAt(ConfigSchema, section, {}) ?? [];
      expect(keys.length).toBeGreaterThan(0);
      const missing = keys.filter((k) => !rows.some((r) => r.key === [...section, k].join('.') || r.key.startsWith(`${[...section, k].join('.')}.`) || r.key.startsWith(`${[...section, k].join('.')}[`)));
      expect(missing).toEqual([]);
    });
  }

  it('names no key the schema does not know', () => {
    const unknown = rows.filter((r) => {
      // Map entries, list items, wildcards: the part before them must be a known key.
      const p = schemaPath(r.key.replace(/(\[|\.<|\.\*).*$/, ''));
      return !(knownKeysAt(ConfigSchema, p.slice(0, -1), {}) ?? []).includes(p.at(-1)!);
    });
    expect(unknown.map((r) => r.key)).toEqual([]);
  });

  it('gives each literal default as the schema does, and "—" only where the schema has none', () => {
    const wrong: string[] = [];
    for (const r of rows) {
      if (/[[\]<*]/.test(r.key)) continue; // list items, map entries, accounts: no root default
      const actual = valueAt(schemaPath(r.key));
      const literal = /^`([^`]+)`( \(.*\))?$/.exec(r.def)?.[1];
      if (r.def.startsWith('—')) {
        if (actual !== undefined) wrong.push(`${r.key}: documented none, schema ${JSON.stringify(actual)}`);
      } else if (literal !== undefined) {
        let documented: unknown;
        try {
          documented = JSON.parse(literal);
        } catch {
          continue; // a path or a name, not a JSON value
        }
        if (JSON.stringify(documented) !== JSON.stringify(actual)) wrong.push(`${r.key}: documented ${literal}, schema ${JSON.stringify(actual)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('marks exactly the per-account keys *per-account*', () => {
    const prefix = 'channels.whatsapp.';
    const marked = rows.filter((r) => r.notes.includes('*per-account*')).map((r) => schemaPath(r.key)[2]);
    const rootRows = rows.filter((r) => r.key.startsWith(prefix) && !r.key.startsWith(`${prefix}accounts.`)).map((r) => schemaPath(r.key)[2]);
    const perAccount = new Set<string>(PER_ACCOUNT_KEYS);
    expect([...new Set(marked)].sort()).toEqual([...new Set(rootRows.filter((k) => k !== undefined && perAccount.has(k)))].sort());
    // The per-account keys that are not in the root table are the account's own (enabled, name, authDir).
    const own = [...perAccount].filter((k) => !rootRows.includes(k)).sort();
    expect(own.every((k) => rows.some((r) => r.key === `${prefix}accounts.<id>.${k}`)), own.join(', ')).toBe(true);
  });
});
