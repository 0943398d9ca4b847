/**
 * Agent sessions (SPEC §6): append-only JSONL, one file per session key, under
 * `<state>/agents/<agentId>/sessions/` (or `session.store`, `{agentId}` replaced).
 * Files are 0600, the dir 0700. A torn last line (a crash mid-append) is skipped
 * when read and never glued to the next entry; it is never fatal.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { WagateConfig } from '../config/index.js';
import { resolveUserPath } from '../config/index.js';
import { agentSessionsDir } from '../state-layout.js';
import { sessionFileName } from './session-file-name.js';
import type { SessionEntry } from './session-entry.js';
import { selectHistory, type HistoryOptions } from './session-history.js';

export type { SessionEntry } from './session-entry.js';

/** The session dir of an agent: `session.store` (relative to the state dir) or the default. */
export function sessionsDirFor(config: WagateConfig, stateDir: string, agentId: string): string {
  const store = config.session.store;
  if (!store) return agentSessionsDir(stateDir, agentId);
  return resolveUserPath(store.replaceAll('{agentId}', agentId), stateDir);
}

function isEntry(v: unknown): v is SessionEntry {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return (e.role === 'user' || e.role === 'assistant') && typeof e.text === 'string' && typeof e.at === 'number';
}

/** Parse JSONL; lines that are not entries (a torn tail, garbage) are skipped. */
export function parseSessionLines(text: string): { entries: SessionEntry[]; skipped: number } {
  const entries: SessionEntry[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const v: unknown = JSON.parse(line);
      if (isEntry(v)) entries.push(v);
      else skipped += 1;
    } catch {
      skipped += 1;
    }
  }
  return { entries, skipped };
}

export class SessionStore {
  /** Per-key write chain: appends to one file never interleave. */
  private readonly chains = new Map<string, Promise<void>>();
  /** Keys whose file end was checked for a torn line in this process. */
  private readonly checked = new Set<string>();
  /** What `read` parsed so far per session: entries up to byte `offset` (a line end). */
  private readonly parsed = new Map<string, { offset: number; entries: SessionEntry[] }>();

  constructor(readonly dir: string) {}

  fileFor(sessionKey: string): string {
    return path.join(this.dir, sessionFileName(sessionKey));
  }

  /**
   * Every readable entry of a session, oldest first ([] when it does not exist).
   * The file is append-only, so what was parsed before is kept and only the bytes
   * added since (by this store or any other writer) are read: a long session costs
   * no more per turn than a short one.
   */
  async read(sessionKey: string): Promise<SessionEntry[]> {
    const file = this.fileFor(sessionKey);
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    try {
      const { size } = await fh.stat();
      let cached = this.parsed.get(sessionKey);
      if (!cached || size < cached.offset) cached = { offset: 0, entries: [] }; // replaced or truncated: start over
      if (size > cached.offset) {
        const buf = Buffer.alloc(size - cached.offset);
        await fh.read(buf, 0, buf.length, cached.offset);
        const lastNewline = buf.lastIndexOf(0x0a);
        // Only whole lines are taken; a line still being written is read next time.
        if (lastNewline >= 0) {
          const added = parseSessionLines(buf.subarray(0, lastNewline + 1).toString('utf8')).entries;
          cached = { offset: cached.offset + lastNewline + 1, entries: cached.entries.concat(added) };
        }
      }
      this.parsed.set(sessionKey, cached);
      return cached.entries;
    } finally {
      await fh.close();
    }
  }

  /** The entries given to the model (see session-history.ts). */
  async history(sessionKey: string, opts: HistoryOptions = {}): Promise<SessionEntry[]> {
    return selectHistory(await this.read(sessionKey), opts);
  }

  /** Whether a user turn with this WhatsApp message id is in the session. */
  async has(sessionKey: string, messageId: string): Promise<boolean> {
    return (await this.read(sessionKey)).some((e) => e.messageId === messageId);
  }

  /** Append entries (one line each), after earlier appends to the same session. */
  append(sessionKey: string, ...entries: SessionEntry[]): Promise<void> {
    const prev = this.chains.get(sessionKey) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => this.write(sessionKey, entries));
    this.chains.set(sessionKey, next);
    void next.finally(() => {
      if (this.chains.get(sessionKey) === next) this.chains.delete(sessionKey);
    }).catch(() => undefined);
    return next;
  }

  private async write(sessionKey: string, entries: SessionEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const file = this.fileFor(sessionKey);
    // The first write of a session in this process checks the dir, a torn tail and the
    // file mode; later appends are one open/write/close.
    const first = !this.checked.has(sessionKey);
    let lead = '';
    if (first) {
      await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
      lead = (await endsTorn(file)) ? '\n' : '';
      this.checked.add(sessionKey);
    }
    const lines = entries.map((e) => JSON.stringify(e)).join('\n');
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(file, 'a', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await fs.mkdir(this.dir, { recursive: true, mode: 0o700 }); // the dir was removed meanwhile
      fh = await fs.open(file, 'a', 0o600);
    }
    try {
      await fh.writeFile(`${lead}${lines}\n`);
      if (first) await fh.chmod(0o600);
    } finally {
      await fh.close();
    }
  }
}

/** True when the file exists, is not empty and does not end with a newline. */
async function endsTorn(file: string): Promise<boolean> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  try {
    const { size } = await fh.stat();
    if (size === 0) return false;
    const buf = Buffer.alloc(1);
    await fh.read(buf, 0, 1, size - 1);
    return buf[0] !== 0x0a;
  } finally {
    await fh.close();
  }
}
