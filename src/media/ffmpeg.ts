/**
 * ffmpeg, when it is installed: find it, and transcode audio to OGG/Opus (the
 * voice-note format). Input goes through a temp file (MP4/M4A need seeking);
 * the output comes back on stdout. Bounded by a timeout.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { WagateError } from '../errors.js';

/** Resolves true when `bin -version` runs (cached per binary). */
const available = new Map<string, Promise<boolean>>();
export function ffmpegAvailable(bin = 'ffmpeg'): Promise<boolean> {
  let p = available.get(bin);
  if (!p) {
    p = new Promise<boolean>((resolve) => {
      const child = spawn(bin, ['-version'], { stdio: 'ignore' });
      child.on('error', () => resolve(false));
      child.on('close', (code) => resolve(code === 0));
    });
    available.set(bin, p);
  }
  return p;
}

export interface TranscodeOptions {
  bin?: string;
  timeoutMs?: number;
}

/** Any audio ffmpeg reads → mono 48 kHz OGG/Opus at 48 kbit/s. */
export async function transcodeToOpus(input: Buffer, label: string, opts: TranscodeOptions = {}): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wagate-audio-'));
  try {
    const file = path.join(dir, 'input');
    await writeFile(file, input);
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', file, '-vn', '-map_metadata', '-1', '-ac', '1', '-ar', '48000', '-c:a', 'libopus', '-b:a', '48k', '-f', 'ogg', 'pipe:1'];
    return await run(opts.bin ?? 'ffmpeg', args, label, opts.timeoutMs ?? 60_000);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function run(bin: string, args: string[], label: string, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new WagateError('WAGATE_ERR_MEDIA', `${label}: could not run ffmpeg (${e.message}).`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const data = Buffer.concat(out);
      if (code === 0 && data.length > 0) return resolve(data);
      const why = signal ? `took longer than ${timeoutMs / 1000}s` : err.trim().split('\n').at(-1) || `exit code ${code}`;
      reject(new WagateError('WAGATE_ERR_MEDIA', `${label}: audio could not be converted to OGG/Opus (${why}).`));
    });
  });
}
