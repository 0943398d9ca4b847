/**
 * Defensive readers for decoded protobuf objects. Inbound messages come from the
 * network: any field may be absent, null, of the wrong type, or a `Long`. These
 * helpers never throw, so normalization never throws.
 */

export type Rec = Record<string, unknown>;

/** The value as a plain object, or undefined. */
export function rec(value: unknown): Rec | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Rec) : undefined;
}

/** Reads `obj[key]` without triggering getters that throw (arbitrary objects). */
export function field(obj: Rec | undefined, key: string): unknown {
  if (!obj) return undefined;
  try {
    return obj[key];
  } catch {
    return undefined;
  }
}

export function recAt(obj: Rec | undefined, key: string): Rec | undefined {
  return rec(field(obj, key));
}

/** A non-empty string, or undefined. */
export function strAt(obj: Rec | undefined, key: string): string | undefined {
  const v = field(obj, key);
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

export function boolAt(obj: Rec | undefined, key: string): boolean {
  return field(obj, key) === true;
}

/** A finite number from a number, bigint, numeric string or protobuf `Long`. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  const long = rec(value);
  if (long) {
    const low = field(long, 'low');
    const high = field(long, 'high');
    if (typeof low === 'number' && typeof high === 'number') {
      const unsigned = field(long, 'unsigned') === true;
      const lo = low >>> 0;
      const hi = unsigned ? high >>> 0 : high | 0;
      return hi * 4294967296 + lo;
    }
  }
  return undefined;
}

export function numAt(obj: Rec | undefined, key: string): number | undefined {
  return toNumber(field(obj, key));
}

/** The string items of an array field (others skipped). */
export function strListAt(obj: Rec | undefined, key: string): string[] {
  const v = field(obj, key);
  if (!Array.isArray(v)) return [];
  return v.filter((x): x is string => typeof x === 'string' && x.length > 0);
}

/** The object items of an array field (others skipped). */
export function recListAt(obj: Rec | undefined, key: string): Rec[] {
  const v = field(obj, key);
  if (!Array.isArray(v)) return [];
  const out: Rec[] = [];
  for (const item of v) {
    const r = rec(item);
    if (r) out.push(r);
  }
  return out;
}
