/**
 * Which keys the schema allows at a path (for "unknown key … did you mean"
 * messages). Walks zod 4 definitions; unknown wrappers end the walk (null).
 */
import type { z } from 'zod';
import { getAt, type KeyPath } from './key-path.js';

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
}

function defOf(s: z.ZodType): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  for (let i = 0; i < 20; i++) {
    const d = defOf(cur);
    if (d.innerType) cur = d.innerType;
    else if (d.type === 'pipe' && d.in) cur = d.in;
    else break;
  }
  return cur;
}

/** Pick the union option whose discriminator literal matches the raw value. */
function pickOption(d: Def, raw: unknown): z.ZodType | null {
  if (!d.options || !d.discriminator) return null;
  const want = (raw as Record<string, unknown> | null)?.[d.discriminator];
  for (const opt of d.options) {
    const lit = defOf(unwrap(opt)).shape?.[d.discriminator];
    const values = lit ? (defOf(lit) as unknown as { values?: unknown[] }).values : undefined;
    if (values?.includes(want)) return opt;
  }
  return null;
}

export function knownKeysAt(schema: z.ZodType, path: KeyPath, raw: unknown): string[] | null {
  let cur: z.ZodType | null = schema;
  for (let i = 0; i <= path.length && cur; i++) {
    const d = defOf(unwrap(cur));
    const here = d.type === 'union' ? pickOption(d, getAt(raw, path.slice(0, i))) : cur;
    if (!here) return null;
    const hd = defOf(unwrap(here));
    if (i === path.length) return hd.shape ? Object.keys(hd.shape) : null;
    const seg = path[i] as string | number;
    if (hd.type === 'object') cur = hd.shape?.[String(seg)] ?? null;
    else if (hd.type === 'record') cur = hd.valueType ?? null;
    else if (hd.type === 'array') cur = hd.element ?? null;
    else return null;
  }
  return null;
}
