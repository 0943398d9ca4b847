/**
 * Reply chunking (SPEC §6): split a reply into chunks of at most `limit`
 * characters (UTF-16 code units, as WhatsApp counts them) — at the last newline,
 * else the last whitespace, else hard; never inside a surrogate pair. A ``` code
 * block cut by a split is closed at the end of the chunk and reopened (same info
 * string) at the start of the next. `newline` mode sends each paragraph (text
 * between blank lines outside code blocks) as its own chunk(s).
 *
 * `messages.responsePrefix` is added by the caller to the first chunk: pass its
 * length (plus any separator) as `firstChunkReserve` so that chunk still fits.
 * Pure; no I/O.
 */
import { fenceStateAfter, type OpenFence } from './chunking-fences.js';

export type ChunkMode = 'length' | 'newline';

export interface ChunkOptions {
  /** `textChunkLimit`; default 4000. Values under 2 are treated as 2. */
  limit?: number;
  /** `chunkMode`; default `length`. */
  mode?: ChunkMode;
  /** Characters the caller will add to the first chunk (response prefix). */
  firstChunkReserve?: number;
}

export const DEFAULT_CHUNK_LIMIT = 4000;

const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

interface Cut {
  /** Length of the piece taken. */
  end: number;
  /** Separator characters dropped after it (0 for a hard split). */
  skip: number;
  newline: boolean;
}

/** Where to split `rest` so that the piece is at most `budget` long (budget ≥ 2). */
function findCut(rest: string, budget: number): Cut {
  const nl = rest.lastIndexOf('\n', budget);
  if (nl > 0) return { end: nl, skip: 1, newline: true };
  for (let i = Math.min(budget, rest.length - 1); i > 0; i--) {
    if (/\s/.test(rest.charAt(i))) return { end: i, skip: 1, newline: false };
  }
  let end = budget;
  if (isHigh(rest.charCodeAt(end - 1)) && isLow(rest.charCodeAt(end))) end -= 1;
  return { end, skip: 0, newline: false };
}

/** Length-splits one segment, appending to `out`; `limitAt(i)` is the limit of chunk i. */
function splitByLength(text: string, limitAt: (index: number) => number, out: string[]): void {
  let rest = text;
  let open: OpenFence | null = null;
  let atLineStart = true;
  while (rest.length > 0) {
    const limit = limitAt(out.length);
    let prefix = open ? `${open.opener}\n` : '';
    const endOpen = fenceStateAfter(rest, open, atLineStart);
    const tail = endOpen ? `\n${endOpen.ticks}` : '';
    if (prefix.length + rest.length + tail.length <= limit) {
      pushChunk(out, prefix, rest, tail);
      return;
    }
    // Too small a limit to carry fence lines: this chunk goes without them.
    if (limit - prefix.length < 6) prefix = '';
    const room = limit - prefix.length;
    // First try the whole room; when that piece ends inside a code block,
    // cut again leaving room for the closing "\n```".
    let cut = findCut(rest, room);
    let piece = rest.slice(0, cut.end);
    let after = fenceStateAfter(piece, open, atLineStart);
    if (after && room - 1 - after.ticks.length >= 2) {
      cut = findCut(rest, room - 1 - after.ticks.length);
      piece = rest.slice(0, cut.end);
      after = fenceStateAfter(piece, open, atLineStart);
    }
    const close = after ? `\n${after.ticks}` : '';
    const fits = prefix.length + piece.length + close.length <= limit;
    // A piece that opened a longer backtick run than reserved cannot be closed in place.
    pushChunk(out, prefix, piece, fits ? close : '');
    open = after;
    atLineStart = cut.newline;
    rest = rest.slice(cut.end + cut.skip);
  }
}

function pushChunk(out: string[], prefix: string, body: string, suffix: string): void {
  if (!prefix && !suffix && body.trim() === '') return;
  out.push(prefix + body + suffix);
}

/** Paragraphs: text between blank lines, never splitting inside a code block. */
export function splitParagraphs(text: string): string[] {
  const paragraphs: string[] = [];
  let current: string[] = [];
  let open: OpenFence | null = null;
  for (const line of text.split('\n')) {
    if (!open && line.trim() === '') {
      if (current.length > 0) paragraphs.push(current.join('\n'));
      current = [];
      continue;
    }
    current.push(line);
    open = fenceStateAfter(line, open, true);
  }
  if (current.length > 0) paragraphs.push(current.join('\n'));
  return paragraphs;
}

/** Splits a reply into sendable chunks (empty or blank text → no chunks). */
export function chunkText(text: string, options: ChunkOptions = {}): string[] {
  const limit = Math.max(2, Math.floor(options.limit ?? DEFAULT_CHUNK_LIMIT));
  const reserve = Math.max(0, Math.floor(options.firstChunkReserve ?? 0));
  const limitAt = (index: number): number => (index === 0 ? Math.max(2, limit - reserve) : limit);
  const out: string[] = [];
  if (text.trim() === '') return out;
  // The usual reply: one chunk, no code fence to carry (the general path gives the same).
  if (options.mode !== 'newline' && text.length <= limitAt(0) && !text.includes('`')) return [text];
  const segments = options.mode === 'newline' ? splitParagraphs(text) : [text];
  for (const segment of segments) splitByLength(segment, limitAt, out);
  return out;
}
