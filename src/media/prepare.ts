/**
 * One outbound media item, from source to a ready-to-send OutboundMedia
 * (SPEC §7): load (path or URL, bounded), sniff the bytes, then per kind —
 * images optimised under the cap, audio as a voice note (OGG/Opus, transcoded
 * with ffmpeg when needed), MP4 video (optionally gifPlayback), documents as
 * they are. Anything that cannot be sent is a WAGATE_ERR_MEDIA naming the source.
 */
import path from 'node:path';
import type { Env, WagateConfig } from '../config/index.js';
import { WagateError } from '../errors.js';
import type { OutboundMedia } from '../ports/transport.js';
import { resolveFfmpeg, transcodeToOpus } from './ffmpeg.js';
import { optimizeImage } from './image.js';
import { DEFAULT_LOAD, loadSource, type LoadOptions, type MediaSource } from './load.js';
import { sniffMedia, type MediaKind } from './sniff.js';

export interface MediaRequest extends MediaSource {
  caption?: string;
  /** MP4 video: loop like a GIF. */
  gifPlayback?: boolean;
}

export interface PrepareOptions {
  /** Per-item cap in bytes (`agents.defaults.mediaMaxMb`). */
  capBytes: number;
  load?: Partial<LoadOptions>;
  /** An ffmpeg binary to use as it is; null = none. Absent: resolveFfmpeg() from `ffmpegPath` and `env`. */
  ffmpeg?: string | null;
  /** `media.ffmpegPath`. */
  ffmpegPath?: string;
  /** For WAGATE_FFMPEG, PATH and the state dir (default process.env). */
  env?: Env;
}

export interface PreparedMedia {
  /** Without a caption; the plan puts one on the first item only. */
  item: OutboundMedia;
  /** File name shown in warnings and used for documents. */
  name: string;
  label: string;
  sourceBytes: number;
  /** Image encodes spent. */
  encodes: number;
  /** Things the user should know (e.g. no ffmpeg: not a voice note). */
  warnings: string[];
}

export const MB = 1024 * 1024;

export function mediaCapBytes(config: WagateConfig): number {
  return config.agents.defaults.mediaMaxMb * MB;
}

/** The options every caller derives from the config: the cap and where ffmpeg comes from. */
export function mediaOptions(config: WagateConfig, env?: Env): PrepareOptions {
  return { capBytes: mediaCapBytes(config), ffmpegPath: config.media.ffmpegPath, ...(env ? { env } : {}) };
}

const mbText = (n: number) => `${(n / MB).toFixed(1)} MB`;

/** Extensions that promise a media kind; bytes that are something else are refused. */
const MEDIA_EXT: Record<string, MediaKind> = {
  jpg: 'image', jpeg: 'image', png: 'image', gif: 'image', webp: 'image', heic: 'image', tif: 'image', tiff: 'image', avif: 'image',
  mp4: 'video', mov: 'video', m4v: 'video', webm: 'video', mkv: 'video',
  mp3: 'audio', ogg: 'audio', oga: 'audio', opus: 'audio', wav: 'audio', m4a: 'audio', aac: 'audio', flac: 'audio',
};

const DOC_MIME: Record<string, string> = {
  pdf: 'application/pdf', txt: 'text/plain', csv: 'text/csv', md: 'text/markdown', json: 'application/json', zip: 'application/zip',
  doc: 'application/msword', xls: 'application/vnd.ms-excel', ppt: 'application/vnd.ms-powerpoint',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
};

const isOpus = (buf: Buffer) => buf.subarray(0, 128).includes('OpusHead');

export async function prepareMedia(req: MediaRequest, opts: PrepareOptions): Promise<PreparedMedia> {
  const src = await loadSource(req, { ...DEFAULT_LOAD, ...opts.load });
  const { data, name, label } = src;
  const ext = path.extname(name).slice(1).toLowerCase();
  const sniffed = sniffMedia(data);
  const claimed = MEDIA_EXT[ext];
  const warnings: string[] = [];
  const tooBig = (what: string, size: number) =>
    new WagateError('WAGATE_ERR_MEDIA', `${label} is ${mbText(size)}, over the ${mbText(opts.capBytes)} per-item cap (${what}).`);
  const done = (item: OutboundMedia, encodes = 0): PreparedMedia => {
    if (req.gifPlayback && item.kind !== 'video') warnings.push(`${name}: gifPlayback applies only to MP4 video; ignored.`);
    return { item, name, label, sourceBytes: data.length, encodes, warnings };
  };

  if (!sniffed || sniffed.kind === 'document') {
    if (claimed) {
      const what = sniffed ? `a ${sniffed.ext.toUpperCase()} file` : 'not a recognised media file';
      throw new WagateError('WAGATE_ERR_MEDIA', `${label} is named like ${claimed === 'image' ? 'an' : 'a'} ${claimed} but its contents are ${what}.`);
    }
    if (data.length === 0) throw new WagateError('WAGATE_ERR_MEDIA', `${label} is empty.`);
    if (data.length > opts.capBytes) throw tooBig('documents are sent as they are', data.length);
    const mimetype = sniffed?.mimetype ?? DOC_MIME[ext] ?? 'application/octet-stream';
    return done({ kind: 'document', data, mimetype, fileName: name });
  }

  if (sniffed.kind === 'image') {
    const img = await optimizeImage(data, opts.capBytes, label);
    return done({ kind: 'image', data: img.data, mimetype: img.mimetype }, img.encodes);
  }

  if (sniffed.kind === 'video') {
    if (data.length > opts.capBytes) throw tooBig('videos are not re-encoded', data.length);
    if (sniffed.mimetype !== 'video/mp4') {
      warnings.push(`${name}: ${sniffed.ext.toUpperCase()} video is sent as a document (WhatsApp plays MP4).`);
      return done({ kind: 'document', data, mimetype: sniffed.mimetype, fileName: name });
    }
    return done({ kind: 'video', data, mimetype: 'video/mp4', gifPlayback: req.gifPlayback ?? false });
  }

  // Audio: a voice note.
  let audio = data;
  let mimetype = 'audio/ogg; codecs=opus';
  let ptt = true;
  if (sniffed.mimetype !== 'audio/ogg' || !isOpus(data)) {
    const bin = opts.ffmpeg !== undefined ? opts.ffmpeg : (await resolveFfmpeg({ configured: opts.ffmpegPath, env: opts.env })).bin;
    if (bin) {
      audio = await transcodeToOpus(data, label, { bin });
    } else {
      warnings.push(
        `${name}: no ffmpeg was found, so it is sent as a plain ${sniffed.ext.toUpperCase()} audio file, not a voice note (run \`npm ci\`, install ffmpeg, or set media.ffmpegPath).`,
      );
      mimetype = sniffed.mimetype;
      ptt = false;
    }
  }
  if (audio.length > opts.capBytes) throw tooBig('audio', audio.length);
  return done({ kind: 'audio', data: audio, mimetype, ptt });
}
