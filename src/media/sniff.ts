/**
 * What a file really is, from its first bytes (never from a file name or an
 * HTTP Content-Type header). Returns null for bytes we do not recognise.
 */

export type MediaKind = 'image' | 'video' | 'audio' | 'document';

export interface Sniffed {
  kind: MediaKind;
  mimetype: string;
  /** Usual extension, for file names. */
  ext: string;
}

const ascii = (buf: Buffer, at: number, len: number) => buf.subarray(at, at + len).toString('latin1');
const starts = (buf: Buffer, bytes: number[], at = 0) => bytes.every((b, i) => buf[at + i] === b);

/** ISO BMFF (`ftyp` box at offset 4): MP4, MOV, M4A, HEIC. */
function sniffFtyp(buf: Buffer): Sniffed | null {
  if (buf.length < 12 || ascii(buf, 4, 4) !== 'ftyp') return null;
  const brand = ascii(buf, 8, 4);
  if (/^M4A |^M4B /.test(brand)) return { kind: 'audio', mimetype: 'audio/mp4', ext: 'm4a' };
  if (brand === 'qt  ') return { kind: 'video', mimetype: 'video/quicktime', ext: 'mov' };
  if (/^(heic|heix|mif1|msf1|heim|heis|avif)$/.test(brand)) {
    return { kind: 'image', mimetype: brand === 'avif' ? 'image/avif' : 'image/heic', ext: brand === 'avif' ? 'avif' : 'heic' };
  }
  return { kind: 'video', mimetype: 'video/mp4', ext: 'mp4' };
}

/** An MPEG audio frame header (MP3 without an ID3 tag). */
function isMpegFrame(buf: Buffer): boolean {
  if (buf.length < 4 || buf[0] !== 0xff || (buf[1]! & 0xe0) !== 0xe0) return false;
  const layer = (buf[1]! >> 1) & 0x03;
  const bitrate = buf[2]! >> 4;
  const rate = (buf[2]! >> 2) & 0x03;
  return layer !== 0 && bitrate !== 0x0f && bitrate !== 0 && rate !== 0x03;
}

export function sniffMedia(buf: Buffer): Sniffed | null {
  if (starts(buf, [0xff, 0xd8, 0xff])) return { kind: 'image', mimetype: 'image/jpeg', ext: 'jpg' };
  if (starts(buf, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { kind: 'image', mimetype: 'image/png', ext: 'png' };
  if (ascii(buf, 0, 6) === 'GIF87a' || ascii(buf, 0, 6) === 'GIF89a') return { kind: 'image', mimetype: 'image/gif', ext: 'gif' };
  if (ascii(buf, 0, 4) === 'RIFF' && ascii(buf, 8, 4) === 'WEBP') return { kind: 'image', mimetype: 'image/webp', ext: 'webp' };
  if (ascii(buf, 0, 4) === 'RIFF' && ascii(buf, 8, 4) === 'WAVE') return { kind: 'audio', mimetype: 'audio/wav', ext: 'wav' };
  if (starts(buf, [0x49, 0x49, 0x2a, 0x00]) || starts(buf, [0x4d, 0x4d, 0x00, 0x2a])) return { kind: 'image', mimetype: 'image/tiff', ext: 'tiff' };
  const ftyp = sniffFtyp(buf);
  if (ftyp) return ftyp;
  if (ascii(buf, 0, 4) === 'OggS') return { kind: 'audio', mimetype: 'audio/ogg', ext: 'ogg' };
  if (ascii(buf, 0, 3) === 'ID3' || isMpegFrame(buf)) return { kind: 'audio', mimetype: 'audio/mpeg', ext: 'mp3' };
  if (ascii(buf, 0, 4) === 'fLaC') return { kind: 'audio', mimetype: 'audio/flac', ext: 'flac' };
  if (buf.length >= 2 && buf[0] === 0xff && (buf[1]! & 0xf6) === 0xf0) return { kind: 'audio', mimetype: 'audio/aac', ext: 'aac' };
  if (starts(buf, [0x1a, 0x45, 0xdf, 0xa3])) return { kind: 'video', mimetype: 'video/webm', ext: 'webm' };
  if (ascii(buf, 0, 5) === '%PDF-') return { kind: 'document', mimetype: 'application/pdf', ext: 'pdf' };
  if (starts(buf, [0x50, 0x4b, 0x03, 0x04])) return { kind: 'document', mimetype: 'application/zip', ext: 'zip' };
  return null;
}
