/** Latency summaries for the benchmarks (milliseconds, nearest-rank percentiles). */
export interface LatencyStats {
  p50: number;
  p99: number;
  max: number;
}

function rank(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function percentile(samples: number[]): LatencyStats {
  const s = [...samples].sort((a, b) => a - b);
  const round = (v: number): number => Math.round(v * 100) / 100;
  return { p50: round(rank(s, 0.5)), p99: round(rank(s, 0.99)), max: round(s.at(-1) ?? NaN) };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
