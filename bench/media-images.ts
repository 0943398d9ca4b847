/**
 * bench media-images: bring a set of large photos under the 5 MB cap
 * (agents.defaults.mediaMaxMb) — our rung search vs walking the fixed ladder.
 * Both start from the same decoded pixels and must land on the same rung; the
 * table shows encodes and time per photo and the ladder/search ratio.
 * Run alone: `npx tsx bench/media-images.ts`.
 */
import { fileURLToPath } from 'node:url';
import { decodeImage, ladderRung, searchRung, type RungResult } from '../src/media/image-ladder.js';
import { MB } from '../src/media/prepare.js';
import { makeJpeg, type PhotoOptions } from '../test/media/fixtures.js';
import { formatTable, type Row } from './table.js';

export const MEDIA_PHOTOS: (PhotoOptions & { label: string })[] = [
  { label: '12 MP, fine grain', width: 4000, height: 3000, grain: 30, seed: 1 },
  { label: '12 MP, heavy grain', width: 4000, height: 3000, grain: 70, seed: 2 },
  { label: '12 MP, very heavy grain', width: 4000, height: 3000, grain: 110, seed: 3 },
  { label: '24 MP, heavy grain', width: 6000, height: 4000, grain: 80, seed: 4 },
];

export interface MediaImagesRow {
  label: string;
  sourceBytes: number;
  same: boolean;
  rung: string;
  search: { encodes: number; ms: number };
  ladder: { encodes: number; ms: number };
}

export interface MediaImagesResult {
  capBytes: number;
  rows: MediaImagesRow[];
  totals: { searchEncodes: number; ladderEncodes: number; searchMs: number; ladderMs: number; ratio: number };
}

async function timed(fn: () => Promise<RungResult | null>) {
  const t = performance.now();
  const r = await fn();
  return { r, ms: Math.round(performance.now() - t) };
}

export async function benchMediaImages(capBytes = 5 * MB, photos = MEDIA_PHOTOS): Promise<MediaImagesResult> {
  const rows: MediaImagesRow[] = [];
  for (const p of photos) {
    const jpg = await makeJpeg(p);
    const img = await decodeImage(jpg);
    const s = await timed(() => searchRung(img, capBytes));
    const l = await timed(() => ladderRung(img, capBytes));
    rows.push({
      label: p.label,
      sourceBytes: jpg.length,
      same: JSON.stringify(s.r?.rung) === JSON.stringify(l.r?.rung),
      rung: s.r ? `${s.r.rung.side}px q${s.r.rung.quality}` : 'none fits',
      search: { encodes: s.r?.encodes ?? 0, ms: s.ms },
      ladder: { encodes: l.r?.encodes ?? 0, ms: l.ms },
    });
  }
  const sum = (f: (r: MediaImagesRow) => number) => rows.reduce((a, r) => a + f(r), 0);
  const searchMs = sum((r) => r.search.ms);
  const ladderMs = sum((r) => r.ladder.ms);
  return {
    capBytes,
    rows,
    totals: {
      searchEncodes: sum((r) => r.search.encodes),
      ladderEncodes: sum((r) => r.ladder.encodes),
      searchMs,
      ladderMs,
      ratio: Math.round((ladderMs / Math.max(1, searchMs)) * 100) / 100,
    },
  };
}

export function formatMediaImages(r: MediaImagesResult): string {
  const rows: Row[] = r.rows.map((x) => [
    x.label,
    (x.sourceBytes / MB).toFixed(1),
    x.rung + (x.same ? '' : ' (differs!)'),
    x.search.encodes,
    x.search.ms,
    x.ladder.encodes,
    x.ladder.ms,
  ]);
  const t = r.totals;
  rows.push(['total', '', '', t.searchEncodes, t.searchMs, t.ladderEncodes, t.ladderMs]);
  return `${formatTable(`media-images: photos under ${(r.capBytes / MB).toFixed(0)} MB, rung search vs fixed ladder`, ['photo', 'MB in', 'rung', 'search enc', 'search ms', 'ladder enc', 'ladder ms'], rows)}\nladder/search time ratio: ${t.ratio}x (encodes ${t.ladderEncodes} vs ${t.searchEncodes})`;
}

/** The cap that matters (5 MB), then a tight one (1 MB) where the ladder has to walk. */
export async function runMediaImagesBench(): Promise<string> {
  return `${formatMediaImages(await benchMediaImages(5 * MB))}\n\n${formatMediaImages(await benchMediaImages(1 * MB))}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(await runMediaImagesBench());
}
