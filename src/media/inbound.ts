/**
 * Inbound media (SPEC §5): the media of an accepted message is downloaded through
 * the account's connection and saved under `<state>/media/inbound/` as
 * `<sha256><ext>`, up to the account's `mediaMaxMb`. An announced size over the
 * cap is not even fetched; a stream that grows past it is cut off and its partial
 * file deleted. Either way the message gets `mediaPath` (saved) or `mediaNote`
 * (why not), and the envelope shows it to the agent.
 */
import type { Logger } from 'pino';
import type { InboundMessage } from '../ports/inbound.js';
import type { Connection } from '../ports/transport.js';
import { inboundMediaDir } from '../state-layout.js';
import { extensionFor } from './inbound-ext.js';
import { saveCapped } from './inbound-save.js';

export const MB = 1024 * 1024;

export interface InboundMediaDeps {
  stateDir: string;
  connection(accountId: string): Connection;
  /** The account's `mediaMaxMb` (default 50). */
  maxMb(accountId: string): number;
  logger: Logger;
}

/** `60`, `1.5`, `0.1` (MB, at most one decimal). */
export function formatMb(bytes: number): string {
  const v = Math.max(0.1, Math.round((bytes / MB) * 10) / 10);
  return String(v);
}

export function overLimitNote(bytes: number, maxMb: number, atLeast = false): string {
  return `not saved: ${atLeast ? 'more than ' : ''}${formatMb(bytes)} MB is over the ${maxMb} MB limit`;
}

/**
 * The message with its media saved (`mediaPath`) or a note saying why not
 * (`mediaNote`). Messages without media come back unchanged. Never throws.
 */
export async function saveInboundMedia(deps: InboundMediaDeps, message: InboundMessage): Promise<InboundMessage> {
  const media = message.media;
  if (!media || message.kind !== 'media') return message;
  const maxMb = deps.maxMb(message.accountId);
  const maxBytes = Math.floor(maxMb * MB);
  const log = deps.logger.child({ accountId: message.accountId, messageId: message.id, kind: media.kind });
  if (media.fileLength !== undefined && media.fileLength > maxBytes) {
    log.info({ fileLength: media.fileLength, maxMb }, 'inbound media over the limit; not downloaded');
    return { ...message, mediaNote: overLimitNote(media.fileLength, maxMb) };
  }
  try {
    const conn = deps.connection(message.accountId);
    if (!conn.downloadMedia) return { ...message, mediaNote: 'not saved: this connection cannot download media' };
    const stream = await conn.downloadMedia({
      chatJid: message.chatJid,
      id: message.id,
      fromMe: message.fromMe,
      ...(message.chatType === 'group' ? { participant: message.from.jid } : {}),
    });
    const res = await saveCapped(stream, { dir: inboundMediaDir(deps.stateDir), ext: extensionFor(media), maxBytes });
    if (!res.ok) {
      log.warn({ bytes: res.bytes, maxMb }, 'inbound media grew past the limit; partial file deleted');
      return { ...message, mediaNote: overLimitNote(res.bytes, maxMb, true) };
    }
    log.debug({ path: res.path, bytes: res.bytes }, 'inbound media saved');
    return { ...message, mediaPath: res.path };
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'inbound media download failed');
    return { ...message, mediaNote: 'not saved: the download failed' };
  }
}
