/**
 * Peak memory of an inbound media download over the cap (issue 6): a 60 MB
 * stream against `mediaMaxMb: 50` through the real saver (`saveCapped`), and a
 * 40 MB one that fits, with RSS sampled every 5 ms. Printed, never asserted.
 * Run alone: `npx tsx bench/media-inbound.ts`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { saveCapped } from '../src/media/inbound-save.js';
import { formatTable } from './table.js';

const MB = 1024 * 1024;

export interface MediaInboundRow {
  label: string;
  sizeMb: number;
  saved: boolean;
  ms: number;
  peakRssGrowthMb: number;
}

async function one(label: string, sizeMb: number, capMb: number): Promise<MediaInboundRow> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wagate-bench-inbound-'));
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  let sent = 0;
  const chunk = Buffer.alloc(64 * 1024, 7);
  const src = new Readable({
    read() {
      if (sent >= sizeMb * MB) return void this.push(null);
      sent += chunk.length;
      this.push(chunk);
    },
  });
  const started = performance.now();
  const res = await saveCapped(src, { dir, ext: '.mp4', maxBytes: capMb * MB });
  const ms = performance.now() - started;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  fs.rmSync(dir, { recursive: true, force: true });
  return { label, sizeMb, saved: res.ok, ms: Math.round(ms), peakRssGrowthMb: Math.round(((peak - before) / MB) * 10) / 10 };
}

export async function benchMediaInbound(): Promise<MediaInboundRow[]> {
  return [await one('60 MB video, cap 50 MB (not saved)', 60, 50), await one('40 MB video, cap 50 MB (saved)', 40, 50)];
}

export function formatMediaInbound(rows: MediaInboundRow[]): string {
  return formatTable('media-inbound: streaming an inbound download to disk under mediaMaxMb', ['', 'saved', 'ms', 'peak RSS growth (MiB)'], rows.map((r) => [r.label, r.saved ? 'yes' : 'no', r.ms, r.peakRssGrowthMb]));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${formatMediaInbound(await benchMediaInbound())}\n`);
}
