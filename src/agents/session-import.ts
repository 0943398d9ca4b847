/**
 * The one-time import of the old JSONL sessions into the store (SPEC §12).
 *
 * For each agent's old session dir (`<state>/agents/<agentId>/sessions/`, or the
 * configured `session.store` dir), every `<key>.jsonl` file is read, its turns are
 * appended to the store in one transaction, and then the file is renamed to
 * `<file>.imported-YYYYMMDD` beside it: never deleted, never imported twice. A torn
 * last line (a crash mid-append) or any other unreadable line is skipped with a
 * warning. A crash between the commit and the rename leaves the file; the next run
 * sees that the store already ends with the file's last turn and only renames it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { resolveAgents, type WagateConfig } from '../config/index.js';
import type { Store } from '../store/port.js';
import { moveAside } from '../store/moved-aside.js';
import { sessionKeyFromFileName } from './session-file-name.js';
import { entryToTurn, parseSessionLines, sessionsDirFor } from './session-store.js';

export interface SessionImportLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface SessionImportResult {
  /** Files imported (and moved aside). */
  files: number;
  turns: number;
  /** Lines skipped (torn or not a turn). */
  skipped: number;
}

async function listJsonl(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
}

/** The old session dirs of the configured agents (deduplicated). */
export function sessionDirs(config: WagateConfig, stateDir: string): string[] {
  return [...new Set(resolveAgents(config).map((a) => sessionsDirFor(config, stateDir, a.id)))];
}

/** Import every JSONL session file of `dir` into the store and move it aside. */
export async function importSessionDir(opts: {
  store: Store;
  dir: string;
  log: SessionImportLog;
  now?: () => number;
}): Promise<SessionImportResult> {
  const { store, dir, log } = opts;
  const now = opts.now ?? Date.now;
  const result: SessionImportResult = { files: 0, turns: 0, skipped: 0 };
  for (const name of await listJsonl(dir)) {
    const file = path.join(dir, name);
    const parsedName = sessionKeyFromFileName(name);
    if (!parsedName) {
      log.warn({ file }, 'not importing a session file whose name is not a session key');
      continue;
    }
    if (parsedName.hashed) {
      log.warn({ file, key: parsedName.key }, 'session key was shortened in its file name; importing it under the shortened key');
    }
    const text = await fs.readFile(file, 'utf8');
    const { entries, skipped } = parseSessionLines(text);
    if (skipped > 0) {
      log.warn({ file, skipped }, `skipped ${skipped} unreadable line(s) (a torn last line is left by a crash mid-write)`);
    }
    const key = parsedName.key;
    const turns = entries.map(entryToTurn);
    await store.transaction(async (tx) => {
      const last = turns[turns.length - 1];
      if (last) {
        const stored = await tx.sessions.turns(key, 1);
        const s = stored[0];
        // Imported before a crash kept the file from being moved: only move it now.
        if (s && s.at === last.at && s.role === last.role && s.text === last.text) return;
        await tx.sessions.append(key, turns);
      }
    });
    const target = await moveAside(file, now());
    result.files += 1;
    result.turns += turns.length;
    result.skipped += skipped;
    log.info({ file, key, turns: turns.length, movedTo: target }, 'imported an agent session file into the store');
  }
  return result;
}

/** Import the old session files of every configured agent (gateway start, `wagate sessions`). */
export async function importSessionFiles(opts: {
  store: Store;
  config: WagateConfig;
  stateDir: string;
  log: SessionImportLog;
  now?: () => number;
}): Promise<SessionImportResult> {
  const total: SessionImportResult = { files: 0, turns: 0, skipped: 0 };
  for (const dir of sessionDirs(opts.config, opts.stateDir)) {
    const r = await importSessionDir({ store: opts.store, dir, log: opts.log, ...(opts.now ? { now: opts.now } : {}) });
    total.files += r.files;
    total.turns += r.turns;
    total.skipped += r.skipped;
  }
  return total;
}
