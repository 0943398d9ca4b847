/**
 * Who gets a control WebSocket, decided on the HTTP upgrade request before any
 * frame is read:
 *
 * - an `Origin` header that is present and not allowed → 403 (web pages);
 * - all sockets at `maxSockets` → 503;
 * - `Authorization: Bearer <token>` with the right token → in, as authenticated,
 *   even when the unauthenticated sockets are at their cap (that is how the
 *   token holder still gets in while someone floods the port);
 * - a wrong bearer token → a failed authentication (logged, slowed): 401 after
 *   the address's delay, or at once — without trying the token while the
 *   address is still backing off — when the unauthenticated sockets are full;
 * - no bearer token but a live control-page session cookie (web-sessions.ts) →
 *   in, as authenticated, riding on that session (closed when it ends);
 * - no token → in, as unauthenticated, unless `maxUnauthenticated` are open (503).
 *
 * `unauthenticated` counts open unauthenticated sockets and held 401 answers.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AuthGuard } from './auth-guard.js';
import { originAllowed } from './bind-policy.js';
import { tokenMatches } from './token.js';

export interface AdmissionLimits {
  maxSockets: number;
  maxUnauthenticated: number;
}

export type Admission =
  | { kind: 'accept'; authenticated: boolean; sessionId?: string }
  | { kind: 'refuse'; status: 401 | 403 | 503; message: string }
  /** Answer `status` after `delayMs` (a failed authentication). */
  | { kind: 'hold'; delayMs: number; status: 401; message: string };

export interface AdmissionRequest {
  headers: IncomingHttpHeaders;
  remote: string;
  sockets: number;
  unauthenticated: number;
}

export interface AdmissionPolicy {
  token: string;
  origins: ReadonlySet<string>;
  limits: AdmissionLimits;
  guard: AuthGuard;
  /** The control page's session named by a `Cookie` header, if live. */
  session?: (cookieHeader: string | undefined) => { id: string } | null;
}

export const UNAUTHORIZED_MESSAGE = 'The control token is missing or wrong; check gateway.auth.token or the token file.';
const BUSY_UNAUTH =
  'Too many unauthenticated control connections; retry shortly, or send the token as "Authorization: Bearer <token>" with the upgrade request.';

export function admit(req: AdmissionRequest, policy: AdmissionPolicy): Admission {
  const origin = req.headers.origin;
  if (!originAllowed(origin, policy.origins)) {
    return {
      kind: 'refuse',
      status: 403,
      message: `Origin ${JSON.stringify(origin)} may not open the control WebSocket; add it to gateway.allowedOrigins to allow it.`,
    };
  }
  if (req.sockets >= policy.limits.maxSockets) {
    return { kind: 'refuse', status: 503, message: `Too many control connections (${policy.limits.maxSockets}); retry shortly.` };
  }
  const full = req.unauthenticated >= policy.limits.maxUnauthenticated;
  const bearer = bearerToken(req.headers.authorization);
  const session = bearer === null ? (policy.session?.(req.headers.cookie) ?? null) : null;
  if (session) return { kind: 'accept', authenticated: true, sessionId: session.id };
  if (bearer === null) return full ? { kind: 'refuse', status: 503, message: BUSY_UNAUTH } : { kind: 'accept', authenticated: false };
  if (full && policy.guard.backingOff(req.remote)) return { kind: 'refuse', status: 503, message: BUSY_UNAUTH };
  if (tokenMatches(policy.token, bearer)) return { kind: 'accept', authenticated: true };
  const delayMs = policy.guard.fail(req.remote, 'upgrade');
  return full
    ? { kind: 'refuse', status: 401, message: UNAUTHORIZED_MESSAGE }
    : { kind: 'hold', delayMs, status: 401, message: UNAUTHORIZED_MESSAGE };
}

/** The token of an `Authorization: Bearer <token>` header; null when absent or another scheme. */
export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return m ? (m[1] as string) : null;
}

/** Answer a refused upgrade with a plain-text HTTP error and close the socket. */
export function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${message}\n`;
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\nConnection: close\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      (status === 503 ? 'Retry-After: 5\r\n' : '') +
      `\r\n${body}`,
  );
}
