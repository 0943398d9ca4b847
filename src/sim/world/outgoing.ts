/**
 * Builders for the `proto.Message`s simulated contacts send: media (encrypted and
 * placed on the media host), vCards, locations, quoted replies and reactions.
 */
import type { MediaType, proto } from '@whiskeysockets/baileys';
import { encryptMedia, type MediaHost } from './media-host.js';

export type MediaKind = 'image' | 'video' | 'audio' | 'document' | 'sticker';

export interface MediaOptions {
  mimetype?: string;
  caption?: string;
  /** Documents: the file name. */
  fileName?: string;
  /** Audio: send as a voice note. */
  ptt?: boolean;
  /** Seconds, for audio/video. */
  seconds?: number;
}

const DEFAULT_MIME: Record<MediaKind, string> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  audio: 'audio/ogg; codecs=opus',
  document: 'application/octet-stream',
  sticker: 'image/webp',
};

/** Encrypts `bytes`, stores the blob on the media host and returns the message. */
export async function mediaMessage(
  host: MediaHost,
  kind: MediaKind,
  bytes: Uint8Array,
  opts: MediaOptions,
  nowS: number,
): Promise<proto.IMessage> {
  const enc = await encryptMedia(bytes, kind as MediaType);
  const path = host.put(enc.blob, kind);
  // Only `url` (plain http on loopback): Baileys then downloads it without TLS.
  const common = {
    url: `${host.plainBase}${path}`,
    mimetype: opts.mimetype ?? DEFAULT_MIME[kind],
    mediaKey: enc.mediaKey,
    fileSha256: enc.fileSha256,
    fileEncSha256: enc.fileEncSha256,
    fileLength: enc.fileLength,
    mediaKeyTimestamp: nowS,
  };
  switch (kind) {
    case 'image':
      return { imageMessage: { ...common, caption: opts.caption } };
    case 'video':
      return { videoMessage: { ...common, caption: opts.caption, seconds: opts.seconds } };
    case 'audio':
      return { audioMessage: { ...common, ptt: opts.ptt ?? false, seconds: opts.seconds } };
    case 'document':
      return { documentMessage: { ...common, fileName: opts.fileName ?? 'file', caption: opts.caption } };
    case 'sticker':
      return { stickerMessage: common };
  }
}

/** A vCard contact card. */
export function contactCard(displayName: string, phoneE164: string): proto.IMessage {
  const digits = phoneE164.replace(/\D/g, '');
  const vcard = [
    'BEGIN:VCARD',
    'VERSION:3.0',
    `FN:${displayName}`,
    `TEL;type=CELL;type=VOICE;waid=${digits}:+${digits}`,
    'END:VCARD',
  ].join('\n');
  return { contactMessage: { displayName, vcard } };
}

export interface LocationOptions {
  latitude: number;
  longitude: number;
  name?: string;
  address?: string;
}

export function location(loc: LocationOptions): proto.IMessage {
  return {
    locationMessage: {
      degreesLatitude: loc.latitude,
      degreesLongitude: loc.longitude,
      name: loc.name,
      address: loc.address,
    },
  };
}

/** What a quoted reply needs to know about the quoted message. */
export interface QuoteTarget {
  id: string;
  /** Author of the quoted message (user jid). */
  participant: string;
  message?: proto.IMessage;
}

export function quotedText(text: string, quote: QuoteTarget, mentions: string[] = []): proto.IMessage {
  return {
    extendedTextMessage: {
      text,
      contextInfo: {
        stanzaId: quote.id,
        participant: quote.participant,
        quotedMessage: quote.message ?? { conversation: '' },
        mentionedJid: mentions.length ? mentions : undefined,
      },
    },
  };
}

/** Plain text, with mentions when given (extendedTextMessage then). */
export function text(body: string, mentions: string[] = []): proto.IMessage {
  if (!mentions.length) return { conversation: body };
  return { extendedTextMessage: { text: body, contextInfo: { mentionedJid: mentions } } };
}

/**
 * A reaction; `key` is from the sender's point of view (remoteJid = the chat as
 * the sender sees it, fromMe = whether the sender wrote the target message).
 */
export function reaction(key: proto.IMessageKey, emoji: string, nowMs: number): proto.IMessage {
  return { reactionMessage: { key, text: emoji, senderTimestampMs: nowMs } };
}
