/**
 * Code-fence tracking for reply chunking: which ``` block (if any) is open after
 * a piece of text, so a chunk can close it and the next one reopen it.
 */

/** An open fence: its opening line (``` plus info string) and its backtick run. */
export interface OpenFence {
  opener: string;
  ticks: string;
}

const OPEN_RE = /^ {0,3}(`{3,})([^`]*)$/;
const CLOSE_RE = /^ {0,3}(`{3,})\s*$/;

/** Is `line` a fence line that opens a block (when none is open)? */
export function fenceOpener(line: string): OpenFence | null {
  const m = OPEN_RE.exec(line);
  if (!m?.[1]) return null;
  return { opener: line.trim(), ticks: m[1] };
}

/** Does `line` close the open fence `open`? */
export function closesFence(line: string, open: OpenFence): boolean {
  const m = CLOSE_RE.exec(line);
  return !!m?.[1] && m[1].length >= open.ticks.length;
}

/**
 * The fence state after `text`, starting from `open`. When `atLineStart` is false
 * the first line continues a line split earlier, so it cannot be a fence line.
 */
export function fenceStateAfter(text: string, open: OpenFence | null, atLineStart: boolean): OpenFence | null {
  let state = open;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (i === 0 && !atLineStart) continue;
    const line = (lines[i] ?? '').replace(/\r$/, '');
    if (state) {
      if (closesFence(line, state)) state = null;
    } else {
      state = fenceOpener(line);
    }
  }
  return state;
}
