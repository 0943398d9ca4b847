/** Small helpers both SQL stores share (no driver in here). */

/** A row bound: a non-negative integer (a RangeError otherwise, never a store error). */
export function keepCount(keep: number): number {
  if (!Number.isInteger(keep) || keep < 0) throw new RangeError(`keep must be a non-negative integer, got ${keep}`);
  return keep;
}

/** A nullable integer column (PostgreSQL returns BIGINT as a string). */
export function num(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}
