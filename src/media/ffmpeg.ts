/**
 * ffmpeg: which binary (SPEC §7), and transcoding audio to OGG/Opus (the
 * voice-note format). The binary is resolved here and only here, in this order:
 *
 *   1. `WAGATE_FFMPEG` (a path, or `bundled` to force 3.), else `media.ffmpegPath`
 *   2. `ffmpeg` on PATH
 *   3. the static binary that `npm ci` brings (@ffmpeg-installer/ffmpeg ships one
 *      per platform in an optional dependency package; nothing is downloaded)
 *
 * A set but unusable path (1.) is an error naming the env var or key, never a
 * silent fall-through. Transcoding input goes through a temp file (MP4/M4A need
 * seeking); the output comes back on stdout. Bounded by a timeout.
 */
import { spawn } from 'node:child_process';
import { constants as fsc } from 'node:fs';
import { access, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { resolveUserPath, stateDir, type Env } from '../config/index.js';
import { WagateError } from '../errors.js';

/** Where the ffmpeg in use came from. */
export type FfmpegSource = 'config' | 'env' | 'path' | 'bundled' | 'none';

export interface FfmpegResolution {
  /** Absolute path of the binary; null when there is none (source `none`). */
  bin: string | null;
  source: FfmpegSource;
  /** For people: `media.ffmpegPath`, `WAGATE_FFMPEG`, `PATH`, the npm package, or why none. */
  from: string;
}

export interface ResolveFfmpegOptions {
  /** `media.ffmpegPath` from the config (`~` expands; relative = to the state dir). */
  configured?: string;
  /** WAGATE_FFMPEG, PATH and the state dir come from here (default process.env). */
  env?: Env;
  /** Tests: the bundled binary's path, or null for "the package is not installed". */
  bundled?: () => string | null;
}

export const BUNDLED_PACKAGE = '@ffmpeg-installer/ffmpeg';

async function isExecutableFile(p: string): Promise<boolean> {
  try {
    if (!(await stat(p)).isFile()) return false;
    await access(p, fsc.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The binary inside the platform package of @ffmpeg-installer/ffmpeg; null when it is not installed. */
export function bundledFfmpeg(): string | null {
  try {
    const req = createRequire(import.meta.url);
    const found = req(BUNDLED_PACKAGE) as { path?: unknown };
    return typeof found.path === 'string' ? found.path : null;
  } catch {
    // Not installed, or no package for this platform/architecture (the package throws a string).
    return null;
  }
}

async function onPath(env: Env): Promise<string | null> {
  const exts = process.platform === 'win32' ? ['.exe', ''] : [''];
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const ext of exts) {
      const p = path.resolve(dir, `ffmpeg${ext}`);
      if (await isExecutableFile(p)) return p;
    }
  }
  return null;
}

/**
 * Which ffmpeg to use. Throws WAGATE_ERR_CONFIG naming `WAGATE_FFMPEG` or
 * `media.ffmpegPath` when that is set to something that is not an executable
 * file, or when `WAGATE_FFMPEG=bundled` and the package brought no binary.
 */
export async function resolveFfmpeg(opts: ResolveFfmpegOptions = {}): Promise<FfmpegResolution> {
  const env = opts.env ?? process.env;
  const bundled = opts.bundled ?? bundledFfmpeg;
  const fromBundle = async (): Promise<string | null> => {
    const p = bundled();
    return p && (await isExecutableFile(p)) ? p : null;
  };
  const bundleName = `the npm package ${BUNDLED_PACKAGE}`;

  const fromEnv = env.WAGATE_FFMPEG?.trim();
  if (fromEnv === 'bundled') {
    const p = await fromBundle();
    if (!p) {
      throw new WagateError(
        'WAGATE_ERR_CONFIG',
        `WAGATE_FFMPEG=bundled, but ${BUNDLED_PACKAGE} brought no ffmpeg for ${process.platform}-${process.arch}; run \`npm ci\`, or set WAGATE_FFMPEG to a path.`,
      );
    }
    return { bin: p, source: 'bundled', from: `${bundleName} (WAGATE_FFMPEG=bundled)` };
  }
  const explicit: [string, FfmpegSource, string] | null = fromEnv
    ? [fromEnv, 'env', 'WAGATE_FFMPEG']
    : opts.configured?.trim()
      ? [opts.configured.trim(), 'config', 'media.ffmpegPath']
      : null;
  if (explicit) {
    const [given, source, name] = explicit;
    const p = source === 'env' ? path.resolve(given) : resolveUserPath(given, stateDir(env));
    if (!(await isExecutableFile(p))) {
      const why = (await stat(p).catch(() => null)) ? 'is not an executable file' : 'does not exist';
      throw new WagateError('WAGATE_ERR_CONFIG', `${name}: ${p} ${why}; point it at an ffmpeg binary, or remove it to use ffmpeg from PATH or the bundled one.`);
    }
    return { bin: p, source, from: name };
  }
  const found = await onPath(env);
  if (found) return { bin: found, source: 'path', from: 'PATH' };
  const p = await fromBundle();
  if (p) return { bin: p, source: 'bundled', from: bundleName };
  return { bin: null, source: 'none', from: `not on PATH and ${BUNDLED_PACKAGE} brought none for ${process.platform}-${process.arch}` };
}

/** "ffmpeg version 6.1.1" from `bin -version`; null when it does not run. */
export function ffmpegVersion(bin: string, timeoutMs = 10_000): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn(bin, ['-version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', () => {
      clearTimeout(timer);
      resolve(null);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const first = out.split('\n')[0]!.trim();
      resolve(code === 0 && first ? (/^\S+ version \S+/.exec(first)?.[0] ?? first) : null);
    });
  });
}

export interface TranscodeOptions {
  /** The binary (from resolveFfmpeg). */
  bin: string;
  timeoutMs?: number;
}

/** Any audio ffmpeg reads → mono 48 kHz OGG/Opus at 48 kbit/s. */
export async function transcodeToOpus(input: Buffer, label: string, opts: TranscodeOptions): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wagate-audio-'));
  try {
    const file = path.join(dir, 'input');
    await writeFile(file, input);
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', file, '-vn', '-map_metadata', '-1', '-ac', '1', '-ar', '48000', '-c:a', 'libopus', '-b:a', '48k', '-f', 'ogg', 'pipe:1'];
    return await run(opts.bin, args, label, opts.timeoutMs ?? 60_000);
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
      reject(new WagateError('WAGATE_ERR_MEDIA', `${label}: could not run ffmpeg ${bin} (${e.message}).`, { cause: e }));
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
