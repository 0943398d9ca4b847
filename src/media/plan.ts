/**
 * What one reply sends (SPEC §6, §7): text chunks, then media items, caption on
 * the first item only. When the first item can carry it and the text is one
 * chunk, the text becomes that caption. Every item is prepared before anything
 * is sent, so a failure is known up front (the caller decides: refuse, or warn).
 */
import { toErrorInfo, type ErrorInfo } from '../errors.js';
import { sourceLabel } from './load.js';
import { prepareMedia, type MediaRequest, type PreparedMedia, type PrepareOptions } from './prepare.js';

export interface MediaFailure {
  label: string;
  /** Base name, for the warning text. */
  name: string;
  error: ErrorInfo;
}

export interface SendPlan {
  texts: string[];
  media: PreparedMedia[];
  failures: MediaFailure[];
}

export interface PlanInput {
  text: string;
  media: MediaRequest[];
  /** Splits text into chunks (textChunkLimit, chunkMode). */
  chunk(text: string): string[];
  prepare?: (req: MediaRequest, opts: PrepareOptions) => Promise<PreparedMedia>;
  options: PrepareOptions;
}

function baseName(label: string): string {
  const last = label.split(/[\\/]/).filter(Boolean).at(-1);
  return last ? last.split('?')[0]! : label;
}

export async function planSend(input: PlanInput): Promise<SendPlan> {
  const prepare = input.prepare ?? prepareMedia;
  const media: PreparedMedia[] = [];
  const failures: MediaFailure[] = [];
  let caption: string | undefined;
  for (const [i, req] of input.media.entries()) {
    try {
      const p = await prepare(req, input.options);
      media.push(p);
    } catch (err) {
      const label = sourceLabel(req);
      failures.push({ label, name: baseName(label), error: toErrorInfo(err) });
    }
    if (i === 0) caption = req.caption;
  }
  const text = input.text.trim() ? input.text : '';
  let texts = text ? input.chunk(text) : [];
  const first = media[0];
  if (first && first.item.kind !== 'audio') {
    if (caption === undefined && texts.length === 1) {
      caption = texts[0];
      texts = [];
    }
    if (caption) first.item.caption = caption;
  } else if (caption) {
    texts.push(caption); // a voice note has no caption: send it as text
  }
  return { texts, media, failures };
}

/** The text an agent's reply sends instead of an item that could not be sent. */
export function mediaWarning(f: MediaFailure): string {
  return `⚠️ could not send ${f.name}: ${f.error.message}`;
}
