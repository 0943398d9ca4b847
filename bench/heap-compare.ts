/**
 * Compares two V8 heap snapshots (e.g. gateway-accounts' `-bare` and `-gateway`
 * ones, WAGATE_BENCH_HEAP_SNAPSHOT): self size and count by constructor (objects),
 * by type for the rest, and closures by function name and script. Prints the
 * groups whose size differs most, divided by `n` (per account).
 *
 *   npx tsx bench/heap-compare.ts <a.heapsnapshot> <b.heapsnapshot> [n=1] [top=40]
 *   npx tsx bench/heap-compare.ts <a0> <a1> <b0> <b1> [n=1] [top=40]   (growth of b minus growth of a)
 */
import fs from 'node:fs';

interface Group {
  size: number;
  count: number;
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export function groupSnapshot(file: string): Map<string, Group> {
  const snap = JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot;
  const { node_fields: nf, node_types: nt, edge_fields: ef, edge_types: et } = snap.snapshot.meta;
  const NF = nf.length;
  const EF = ef.length;
  const [iType, iName, iSize, iEdges] = ['type', 'name', 'self_size', 'edge_count'].map((f) => nf.indexOf(f)) as [number, number, number, number];
  const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => ef.indexOf(f)) as [number, number, number];
  const types = nt[0];
  const edgeTypes = et[0];
  const { nodes, edges, strings } = snap;
  const firstEdge = new Uint32Array(nodes.length / NF + 1);
  for (let i = 0, e = 0; i < nodes.length / NF; i++) {
    firstEdge[i] = e;
    e += nodes[i * NF + iEdges]! * EF;
  }
  firstEdge[nodes.length / NF] = edges.length;
  const edgeTo = (node: number, name: string): number | undefined => {
    for (let e = firstEdge[node]!; e < firstEdge[node + 1]!; e += EF) {
      const t = edgeTypes[edges[e + eType]!];
      if ((t === 'internal' || t === 'property' || t === 'context') && strings[edges[e + eName]!] === name) return edges[e + eTo]! / NF;
    }
    return undefined;
  };
  const scriptOf = (closure: number): string => {
    const shared = edgeTo(closure, 'shared');
    const script = shared !== undefined ? edgeTo(shared, 'script_or_debug_info') : undefined;
    if (script === undefined) return '?';
    return strings[nodes[script * NF + iName]!]!.replace(/^.*node_modules\//, 'nm/').replace(/^.*\/(src|bench|machines)\//, '$1/');
  };
  const groups = new Map<string, Group>();
  for (let i = 0; i < nodes.length / NF; i++) {
    const type = types[nodes[i * NF + iType]!]!;
    const name = strings[nodes[i * NF + iName]!]!;
    let key: string;
    if (type === 'object') key = `object ${name}`;
    else if (type === 'closure') key = `closure ${name || '(anon)'} @ ${scriptOf(i)}`;
    else if (type === 'native' || type === 'hidden' || type === 'array' || type === 'code') key = `${type} ${name.slice(0, 60)}`;
    else key = type;
    const g = groups.get(key) ?? { size: 0, count: 0 };
    g.size += nodes[i * NF + iSize]!;
    g.count += 1;
    groups.set(key, g);
  }
  return groups;
}

function main(): void {
  const [a, b, nArg, topArg] = process.argv.slice(2);
  if (!a || !b) throw new Error('usage: heap-compare.ts <a.heapsnapshot> <b.heapsnapshot> [n] [top]');
  // Four files (a0 a1 b0 b1): what b grew by (b1 - b0) minus what a grew by (a1 - a0).
  const four = process.argv.length >= 6 && process.argv[5]!.endsWith('.heapsnapshot');
  const minus = (x: Map<string, Group>, y: Map<string, Group>) => {
    const out = new Map<string, Group>();
    for (const k of new Set([...x.keys(), ...y.keys()])) {
      const p = x.get(k) ?? { size: 0, count: 0 };
      const q = y.get(k) ?? { size: 0, count: 0 };
      out.set(k, { size: p.size - q.size, count: p.count - q.count });
    }
    return out;
  };
  const ga = four ? minus(groupSnapshot(b), groupSnapshot(a)) : groupSnapshot(a);
  const gb = four ? minus(groupSnapshot(process.argv[5]!), groupSnapshot(nArg!)) : groupSnapshot(b);
  const [n, top] = four ? [Number(process.argv[6] ?? 1), Number(process.argv[7] ?? 40)] : [Number(nArg ?? 1), Number(topArg ?? 40)];
  const total = (g: Map<string, Group>) => [...g.values()].reduce((s, x) => s + x.size, 0);
  const rows = [...new Set([...ga.keys(), ...gb.keys()])].map((k) => {
    const x = ga.get(k) ?? { size: 0, count: 0 };
    const y = gb.get(k) ?? { size: 0, count: 0 };
    return { k, d: y.size - x.size, dc: y.count - x.count, a: x, b: y };
  });
  rows.sort((p, q) => Math.abs(q.d) - Math.abs(p.d));
  process.stdout.write(`total: ${(total(ga) / 1048576).toFixed(1)} MiB vs ${(total(gb) / 1048576).toFixed(1)} MiB; per account: ${((total(gb) - total(ga)) / n / 1024).toFixed(1)} KB\n`);
  process.stdout.write('bytes/acct  count/acct  group\n');
  for (const r of rows.slice(0, top)) {
    process.stdout.write(`${(r.d / n).toFixed(0).padStart(10)}  ${(r.dc / n).toFixed(2).padStart(10)}  ${r.k}\n`);
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) main();
