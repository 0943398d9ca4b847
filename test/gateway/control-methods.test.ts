import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CONTROL_METHODS, type ControlMethod } from '../../src/gateway/control-methods.js';
import type { ControlClient } from '../../src/gateway/control-client.js';
import { ROOT } from '../helpers/cli.js';

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Control protocol'), readme.indexOf('## Architecture'));
/** The protocol table: method → its params column. */
const rows = new Map([...section.matchAll(/^\| `([a-z.]+)` \| `([^`]*)` \|/gm)].map((m) => [m[1]!, m[2]!]));

/** `{to, text?, media?:[{path}\|{url}], accountId?}` → ['to', 'text?', 'media?', 'accountId?'] (top-level keys only). */
function documentedParams(col: string): string[] {
  let s = col.replace(/\\\|/g, '|').trim().slice(1, -1);
  while (/[[{][^[\]{}]*[\]}]/.test(s)) s = s.replace(/[[{][^[\]{}]*[\]}]/g, '');
  return s
    .split(',')
    .map((p) => p.replace(/:.*$/, '').trim())
    .filter(Boolean);
}

function schemaParams(schema: z.ZodType): string[] {
  const shape = (schema as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
  return Object.entries(shape).map(([k, v]) => (v.safeParse(undefined).success ? `${k}?` : k));
}

describe('control method contract (src/gateway/control-methods.ts)', () => {
  it('the README protocol table lists exactly the methods, each with exactly its params', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(CONTROL_METHODS).sort());
    for (const [method, col] of rows) {
      expect(documentedParams(col).sort(), method).toEqual(schemaParams(CONTROL_METHODS[method as ControlMethod].params).sort());
    }
  });

  it('method names and params are checked by the compiler on the client side', () => {
    // Never run: these lines only have to compile (or fail to, where marked).
    const typed = (client: ControlClient) => {
      void client.request('logout', { accountId: 'work' }).then((r) => r.removed satisfies string[]);
      void client.request('status', {}).then((r) => r.accounts.map((a) => a.state));
      // @ts-expect-error a typo in a method name
      void client.request('logut', { accountId: 'work' });
      // @ts-expect-error a typo in a param
      void client.request('logout', { acountId: 'work' });
      // @ts-expect-error a param of the wrong type
      void client.request('login.wait', { accountId: 'work', timeoutMs: '10' });
      // @ts-expect-error the answer has no such field
      void client.request('send', { to: '+15551234567', text: 'hi' }).then((r) => r.removed);
    };
    expect(typeof typed).toBe('function');
  });
});
