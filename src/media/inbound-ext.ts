/**
 * The file extension an inbound media file is saved with (SPEC §5): from the
 * document's own file name when it has a sane one, else from the mimetype, else
 * a per-kind default.
 */
import path from 'node:path';
import type { InboundMedia } from '../ports/inbound.js';

const BY_MIME: Record<string, string> = {
  'image/jpeg': '.jpg',
  'image/png': '.png',
  'image/webp': '.webp',
  'image/gif': '.gif',
  'image/heic': '.heic',
  'video/mp4': '.mp4',
  'video/3gpp': '.3gp',
  'video/quicktime': '.mov',
  'video/webm': '.webm',
  'audio/ogg': '.ogg',
  'audio/opus': '.opus',
  'audio/mpeg': '.mp3',
  'audio/mp4': '.m4a',
  'audio/aac': '.aac',
  'audio/amr': '.amr',
  'audio/wav': '.wav',
  'application/pdf': '.pdf',
  'application/zip': '.zip',
  'application/json': '.json',
  'text/plain': '.txt',
  'text/csv': '.csv',
  'application/msword': '.doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': '.docx',
  'application/vnd.ms-excel': '.xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': '.xlsx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': '.pptx',
};

const BY_KIND: Record<InboundMedia['kind'], string> = {
  image: '.jpg',
  video: '.mp4',
  audio: '.ogg',
  document: '.bin',
  sticker: '.webp',
};

/** `.jpg`, `.ogg`, `.pdf`…: always a dot and 1–10 lowercase letters/digits. */
export function extensionFor(media: Pick<InboundMedia, 'kind' | 'mimetype' | 'fileName'>): string {
  if (media.kind === 'document' && media.fileName) {
    const ext = path.extname(media.fileName).toLowerCase();
    if (/^\.[a-z0-9]{1,10}$/.test(ext)) return ext;
  }
  const mime = media.mimetype.split(';')[0]!.trim().toLowerCase();
  const known = BY_MIME[mime];
  if (known) return known;
  const sub = /^[a-z]+\/([a-z0-9]{1,10})$/.exec(mime)?.[1];
  return sub ? `.${sub}` : BY_KIND[media.kind];
}
