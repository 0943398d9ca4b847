/**
 * Sign-in for the control page (README "The control page"): one-time codes and
 * browser sessions, both in memory only (a gateway restart signs everyone out).
 *
 * - A one-time code (`wagate dashboard`) lives `codeTtlMs` (60 s) and is
 *   good for one exchange; at most `maxCodes` wait at once (the oldest goes).
 * - A session (from a code or the pasted control token) lives `sessionTtlMs`
 *   (12 h) from its creation, then is gone; at most `maxSessions` (the oldest goes).
 * - `revokeAll()` (token rotation, shutdown) ends every session; listeners
 *   hear each revoked id, so the page's WebSockets riding on it close too.
 *
 * Codes and session ids are random (crypto), compared by map lookup of their
 * SHA-256 digest, so a timing difference tells nothing about a valid value.
 */
import crypto from 'node:crypto';

export const SESSION_COOKIE = 'wagate_session';

export interface WebSessionsOptions {
  now: () => number;
  codeTtlMs?: number;
  sessionTtlMs?: number;
  maxCodes?: number;
  maxSessions?: number;
  /** Random bytes (tests inject); default crypto.randomBytes. */
  randomBytes?: (n: number) => Buffer;
}

export interface WebSession {
  id: string;
  createdAt: number;
  expiresAt: number;
}

export interface WebSessions {
  /** A new one-time code for `wagate dashboard`. */
  issueCode(): { code: string; expiresAt: number };
  /** Exchange a one-time code for a new session; null when unknown, used or expired. */
  exchange(code: string): WebSession | null;
  /** A new session for a caller who proved the control token. */
  create(): WebSession;
  /** The live session named by a `Cookie` header; null when none or expired. */
  fromCookie(cookieHeader: string | undefined): WebSession | null;
  revoke(id: string): void;
  revokeAll(): void;
  /** Called with each revoked or expired-on-lookup session id. */
  onRevoke(fn: (id: string) => void): () => void;
  /** The `Set-Cookie` value for a session (HttpOnly, SameSite=Strict, Path=/). */
  cookie(s: WebSession): string;
  /** The `Set-Cookie` value that removes the cookie. */
  clearCookie(): string;
  readonly size: { codes: number; sessions: number };
}

export const WEB_SESSION_DEFAULTS = {
  codeTtlMs: 60_000,
  sessionTtlMs: 12 * 60 * 60_000,
  maxCodes: 16,
  maxSessions: 64,
} as const;

const digest = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest('base64url');

/** The value of cookie `name` in a `Cookie` header; null when absent. */
export function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export function createWebSessions(opts: WebSessionsOptions): WebSessions {
  const cfg = { ...WEB_SESSION_DEFAULTS, ...stripUndefined(opts) };
  const random = opts.randomBytes ?? ((n: number) => crypto.randomBytes(n));
  /** digest(code) → expiresAt */
  const codes = new Map<string, number>();
  /** digest(session id) → session */
  const sessions = new Map<string, WebSession>();
  const listeners = new Set<(id: string) => void>();

  const notify = (id: string) => {
    for (const fn of listeners) fn(id);
  };
  const dropSession = (key: string) => {
    const s = sessions.get(key);
    if (!s) return;
    sessions.delete(key);
    notify(s.id);
  };
  const sweep = () => {
    const now = opts.now();
    for (const [k, exp] of codes) if (exp <= now) codes.delete(k);
    for (const [k, s] of sessions) if (s.expiresAt <= now) dropSession(k);
  };

  function create(): WebSession {
    sweep();
    const now = opts.now();
    const s: WebSession = { id: random(32).toString('base64url'), createdAt: now, expiresAt: now + cfg.sessionTtlMs };
    sessions.set(digest(s.id), s);
    while (sessions.size > cfg.maxSessions) dropSession(sessions.keys().next().value as string);
    return s;
  }

  return {
    issueCode() {
      sweep();
      const code = random(18).toString('base64url');
      const expiresAt = opts.now() + cfg.codeTtlMs;
      codes.set(digest(code), expiresAt);
      while (codes.size > cfg.maxCodes) codes.delete(codes.keys().next().value as string);
      return { code, expiresAt };
    },
    exchange(code) {
      if (typeof code !== 'string' || code.length === 0 || code.length > 128) return null;
      const key = digest(code);
      const exp = codes.get(key);
      codes.delete(key); // single use, whatever follows
      if (exp === undefined || exp <= opts.now()) return null;
      return create();
    },
    create,
    fromCookie(header) {
      const id = cookieValue(header, SESSION_COOKIE);
      if (!id || id.length > 128) return null;
      const key = digest(id);
      const s = sessions.get(key);
      if (!s) return null;
      if (s.expiresAt <= opts.now()) {
        dropSession(key);
        return null;
      }
      return s;
    },
    revoke(id) {
      dropSession(digest(id));
    },
    revokeAll() {
      for (const k of [...sessions.keys()]) dropSession(k);
      codes.clear();
    },
    onRevoke(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    cookie(s) {
      const maxAge = Math.max(0, Math.floor((s.expiresAt - opts.now()) / 1000));
      return `${SESSION_COOKIE}=${s.id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}`;
    },
    clearCookie() {
      return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
    },
    get size() {
      return { codes: codes.size, sessions: sessions.size };
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
