/**
 * Agent sessions (SPEC §6, §12): the turns of each session key, in the store
 * (`store.sessions`, table `session_turns`). A turn's role, text and time are
 * columns; the rest (message id, chat, sender) is the turn's `meta` JSON.
 *
 * Before the store, sessions were append-only JSONL files under
 * `<state>/agents/<agentId>/sessions/` (or `session.store`, `{agentId}` replaced);
 * `sessionsDirFor` still names that dir for the one-time import (session-import.ts)
 * and for the media guard (files there are never sent as media).
 */
import type { WagateConfig } from '../config/index.js';
import { resolveUserPath } from '../config/index.js';
import type { SessionStorePort, SessionTurn } from '../store/port.js';
import { agentSessionsDir } from '../state-layout.js';
import type { SessionEntry } from './session-entry.js';
import { HistorySnapshot, selectHistory, type HistoryOptions } from './session-history.js';

export type { SessionEntry } from './session-entry.js';

/** The old JSONL session dir of an agent: `session.store` (relative to the state dir) or the default. */
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

/** Parse JSONL (the old session files); lines that are not entries (a torn tail, garbage) are skipped. */
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

/** What of an entry goes into `meta`. */
type EntryMeta = Pick<SessionEntry, 'messageId' | 'chatJid' | 'sender'>;

/** A session entry as a stored turn. */
export function entryToTurn(e: SessionEntry): SessionTurn {
  const meta: EntryMeta = {};
  if (e.messageId !== undefined) meta.messageId = e.messageId;
  if (e.chatJid !== undefined) meta.chatJid = e.chatJid;
  if (e.sender !== undefined) meta.sender = e.sender;
  return { role: e.role, text: e.text, at: e.at, meta: Object.keys(meta).length ? JSON.stringify(meta) : null };
}

/** A stored turn back as a session entry (unreadable meta is dropped, never fatal). */
export function turnToEntry(t: SessionTurn): SessionEntry {
  const e: SessionEntry = { role: t.role, text: t.text, at: t.at };
  if (!t.meta) return e;
  let meta: unknown;
  try {
    meta = JSON.parse(t.meta);
  } catch {
    return e;
  }
  if (typeof meta !== 'object' || meta === null) return e;
  const m = meta as Record<string, unknown>;
  if (typeof m.messageId === 'string') e.messageId = m.messageId;
  if (typeof m.chatJid === 'string') e.chatJid = m.chatJid;
  if (typeof m.sender === 'string') e.sender = m.sender;
  return e;
}

/** Sessions kept in memory (most recently used); older ones are read again from the store. */
export const CACHED_SESSIONS = 500;

/**
 * The sessions of the gateway, on the store's session port. This process is the only
 * writer of its sessions, so each session read is kept in memory (the `CACHED_SESSIONS`
 * most recently used) and appends are written through: a message reads its session
 * once, not every turn again (that made a long group session O(n²)).
 */
interface CachedSession {
  entries: SessionEntry[];
  /** The WhatsApp message ids of its entries (`has` in O(1), not a scan of a long session). */
  ids: Set<string>;
}

function cached(entries: SessionEntry[]): CachedSession {
  const ids = new Set<string>();
  for (const e of entries) if (e.messageId !== undefined) ids.add(e.messageId);
  return { entries, ids };
}

export class SessionStore {
  /** Per-key write chain: appends to one session keep their call order. */
  private readonly chains = new Map<string, Promise<void>>();
  /** Cached sessions, least recently used first. */
  private readonly cache = new Map<string, CachedSession>();
  /** Appends finished per key: a read that raced one is not cached. */
  private readonly written = new Map<string, number>();

  constructor(readonly port: SessionStorePort) {}

  /** Every entry of a session, oldest first ([] when it does not exist). */
  async read(sessionKey: string): Promise<SessionEntry[]> {
    return (await this.load(sessionKey)).entries.slice();
  }

  /** The cached session (read from the store when it is not cached), most recently used. */
  private async load(sessionKey: string): Promise<CachedSession> {
    if (this.cache.has(sessionKey)) return this.touch(sessionKey);
    const before = this.written.get(sessionKey) ?? 0;
    const loaded = cached((await this.port.turns(sessionKey)).map(turnToEntry));
    if ((this.written.get(sessionKey) ?? 0) === before && !this.cache.has(sessionKey)) {
      this.cache.set(sessionKey, cached(loaded.entries.slice()));
      if (this.cache.size > CACHED_SESSIONS) this.cache.delete(this.cache.keys().next().value!);
    }
    return loaded;
  }

  /** A cached session, made the most recently used. */
  private touch(sessionKey: string): CachedSession {
    const hit = this.cache.get(sessionKey)!;
    this.cache.delete(sessionKey);
    this.cache.set(sessionKey, hit);
    return hit;
  }

  /** The entries given to the model (see session-history.ts). */
  async history(sessionKey: string, opts: HistoryOptions = {}): Promise<SessionEntry[]> {
    // selectHistory copies what it keeps: the cached entries are not copied first.
    return selectHistory((await this.load(sessionKey)).entries, opts);
  }

  /** `history` and `has` from one read of the session (a message's turn asks both). */
  async historyAndHas(sessionKey: string, messageId: string, opts: HistoryOptions = {}): Promise<{ history: SessionEntry[]; has: boolean }> {
    const session = this.cache.get(sessionKey) ? this.touch(sessionKey) : await this.load(sessionKey);
    return { history: selectHistory(session.entries, opts), has: session.ids.has(messageId) };
  }

  /** `historyAndHas` with the history not copied until read (session-history.ts HistorySnapshot). */
  async snapshotAndHas(sessionKey: string, messageId: string, opts: HistoryOptions = {}): Promise<{ history: HistorySnapshot; has: boolean }> {
    const session = this.cache.get(sessionKey) ? this.touch(sessionKey) : await this.load(sessionKey);
    return { history: HistorySnapshot.of(session.entries, opts), has: session.ids.has(messageId) };
  }

  /** Whether a turn with this WhatsApp message id is in the session. */
  async has(sessionKey: string, messageId: string): Promise<boolean> {
    return (await this.load(sessionKey)).ids.has(messageId);
  }

  /** Append entries (in one transaction), after earlier appends to the same session. */
  append(sessionKey: string, ...entries: SessionEntry[]): Promise<void> {
    const prev = this.chains.get(sessionKey);
    // None in flight, on a store that writes at once (SQLite): written now, no chain.
    if (!prev && this.port.appendNow && entries.length > 0) {
      try {
        if (this.port.appendNow(sessionKey, entries.map(entryToTurn))) {
          this.appended(sessionKey, entries);
          return Promise.resolve();
        }
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const write = () => this.write(sessionKey, entries);
    // A session with no append in flight writes at once (the usual case: one per message).
    const next = prev ? prev.then(write, write) : write();
    this.chains.set(sessionKey, next);
    const forget = () => {
      if (this.chains.get(sessionKey) === next) this.chains.delete(sessionKey);
    };
    next.then(forget, forget);
    return next;
  }

  private async write(sessionKey: string, entries: SessionEntry[]): Promise<void> {
    if (!entries.length) return;
    // Settles once applied: a reply is sent only after a later durable write (its ids in the ledger).
    await this.port.append(sessionKey, entries.map(entryToTurn), { applied: true });
    this.appended(sessionKey, entries);
  }

  /** Entries written: counted (a read that raced them is not cached) and added to the cached session. */
  private appended(sessionKey: string, entries: SessionEntry[]): void {
    this.written.set(sessionKey, (this.written.get(sessionKey) ?? 0) + 1);
    const c = this.cache.get(sessionKey);
    if (c) {
      for (const e of entries) {
        c.entries.push({ ...e });
        if (e.messageId !== undefined) c.ids.add(e.messageId);
      }
    }
  }
}
