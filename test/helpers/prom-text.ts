/** Reading a Prometheus text exposition in tests: one sample by name and labels. */

export type Samples = Map<string, number>;

const key = (name: string, labels: Record<string, string>) =>
  `${name}{${Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',')}}`;

/** Every sample line (`name{a="x"} 1`), keyed by name and sorted labels. */
export function parseProm(text: string): Samples {
  const out: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = JSON.parse(`"${l[2]!}"`) as string;
    out.set(key(m[1]!, labels), Number(m[3]));
  }
  return out;
}

/** A sample's value; 0 when the series is absent (a counter that never moved). */
export function sample(s: Samples, name: string, labels: Record<string, string> = {}): number {
  return s.get(key(name, labels)) ?? 0;
}

/** The label sets a metric has. */
export function seriesOf(s: Samples, name: string): string[] {
  return [...s.keys()].filter((k) => k.startsWith(`${name}{`));
}
