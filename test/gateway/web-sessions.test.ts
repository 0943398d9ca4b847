import { describe, expect, it } from 'vitest';
import { cookieValue, createWebSessions, SESSION_COOKIE } from '../../src/gateway/web-sessions.js';

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe('control page sign-in codes and sessions (src/gateway/web-sessions.ts)', () => {
  it('a one-time code is good for one exchange only', () => {
    const c = clock();
    const s = createWebSessions({ now: c.now });
    const { code } = s.issueCode();
    const session = s.exchange(code);
    expect(session).not.toBeNull();
    expect(s.exchange(code)).toBeNull();
  });

  it('a code expires after 60 s (injected clock); a failed exchange spends it too', () => {
    const c = clock();
    const s = createWebSessions({ now: c.now });
    const a = s.issueCode();
    expect(a.expiresAt).toBe(c.t + 60_000);
    c.t += 60_000;
    expect(s.exchange(a.code)).toBeNull();
    const b = s.issueCode();
    c.t += 59_999;
    expect(s.exchange(b.code)).not.toBeNull();
    expect(s.exchange('no-such-code')).toBeNull();
    expect(s.exchange('')).toBeNull();
  });

  it('the session cookie is HttpOnly, SameSite=Strict, Path=/, and lives until the session expires', () => {
    const c = clock();
    const s = createWebSessions({ now: c.now, sessionTtlMs: 3_600_000 });
    const session = s.create();
    const cookie = s.cookie(session);
    expect(cookie).toBe(`${SESSION_COOKIE}=${session.id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=3600`);
    expect(s.clearCookie()).toMatch(/^wagate_session=; HttpOnly; SameSite=Strict; Path=\/; Max-Age=0$/);
    const header = `other=1; ${SESSION_COOKIE}=${session.id}`;
    expect(cookieValue(header, SESSION_COOKIE)).toBe(session.id);
    expect(s.fromCookie(header)?.id).toBe(session.id);
    c.t += 3_600_000;
    expect(s.fromCookie(header)).toBeNull();
  });

  it('revoking ends a session and tells the listeners (the WebSockets riding on it close)', () => {
    const c = clock();
    const s = createWebSessions({ now: c.now });
    const revoked: string[] = [];
    s.onRevoke((id) => revoked.push(id));
    const a = s.create();
    const b = s.create();
    s.revoke(a.id);
    expect(s.fromCookie(`${SESSION_COOKIE}=${a.id}`)).toBeNull();
    expect(s.fromCookie(`${SESSION_COOKIE}=${b.id}`)).not.toBeNull();
    s.revokeAll();
    expect(revoked).toEqual([a.id, b.id]);
    expect(s.size).toEqual({ codes: 0, sessions: 0 });
  });

  it('memory is bounded: the oldest code and session give way', () => {
    const c = clock();
    const s = createWebSessions({ now: c.now, maxCodes: 2, maxSessions: 2 });
    const first = s.issueCode();
    s.issueCode();
    s.issueCode();
    expect(s.exchange(first.code)).toBeNull();
    const old = s.create();
    s.create();
    s.create();
    expect(s.fromCookie(`${SESSION_COOKIE}=${old.id}`)).toBeNull();
    expect(s.size.sessions).toBe(2);
  });
});
