/**
 * Plain HTTP on the control port, beside the WebSocket: the routes the
 * supervisor gives (`/metrics`, `/healthz`, `/readyz`, the control page).
 *
 * - An `Origin` header that is present and not allowed → 403, as for the WebSocket.
 * - On a loopback bind, a `Host` that is not a loopback name → 403 (a web page
 *   reaching 127.0.0.1 through DNS rebinding names its own host).
 * - A route with `auth: 'token'` needs `Authorization: Bearer <control token>`:
 *   missing → 401 at once; wrong → a failed authentication (auth-guard.ts: logged,
 *   slowed), answered 401 after the address's delay — at once while
 *   `maxHeld` answers already wait. A 401 says nothing more than its status.
 * - A route with `auth: 'session'` (the control page's API) takes the page's
 *   session cookie (web-sessions.ts) or the bearer token; neither → 401 at once.
 * - A route answers `GET`/`HEAD` unless it lists its `methods`; a `POST` must
 *   carry an allowed `Origin` (only the page itself may post: no cross-site
 *   form can sign in or act), and its body is capped at `maxBodyBytes` (413).
 * - Another path → 404; another method → 405. Every answer is `no-store` and
 *   `nosniff`.
 */
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { AuthGuard } from './auth-guard.js';
import { isLoopback, originAllowed } from './bind-policy.js';
import { bearerToken } from './control-admission.js';
import { tokenMatches } from './token.js';
import type { WebSession, WebSessions } from './web-sessions.js';

export interface HttpAnswer {
  status: number;
  contentType: string;
  body: string | Buffer;
  headers?: OutgoingHttpHeaders;
}

/** What a route sees of its request. */
export interface HttpRequestInfo {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The body of a POST (empty otherwise). */
  body: Buffer;
  /** The page session the request came with (session routes; null with the bearer token). */
  session: WebSession | null;
  /** Record a failed authentication from this address (logged, slowed): the delay (ms) to wait before answering. */
  failedAuth(how: string): number;
}

export type HttpMethod = 'GET' | 'HEAD' | 'POST';

export interface HttpRoute {
  /**
   * `token`: the control token as a bearer; `session`: the control page's session
   * cookie or the token as a bearer; `open`: anyone who reaches the port.
   */
  auth: 'token' | 'session' | 'open';
  /** Default GET and HEAD. */
  methods?: readonly HttpMethod[];
  /** POST body cap (default 16 KiB). */
  maxBodyBytes?: number;
  answer(req: HttpRequestInfo): Promise<HttpAnswer> | HttpAnswer;
}

export type HttpRoutes = ReadonlyMap<string, HttpRoute>;

export interface HttpContext {
  host: string;
  token: string;
  guard: AuthGuard;
  origins(): ReadonlySet<string>;
  /** 401 answers held at most at once (each waits out its address's delay). */
  maxHeld: number;
  /** The control page's sessions (session routes); without it they take only the token. */
  sessions?: WebSessions;
  onError(err: unknown, path: string): void;
}

export interface HttpHandler {
  handle(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** Answer the held 401s now (shutdown). */
  release(): void;
}

const TEXT = 'text/plain; charset=utf-8';
const DEFAULT_METHODS: readonly HttpMethod[] = ['GET', 'HEAD'];
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

function reply(res: http.ServerResponse, a: HttpAnswer, extra: OutgoingHttpHeaders = {}): void {
  if (res.headersSent || res.destroyed) return;
  const headers = { 'content-type': a.contentType, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...a.headers, ...extra };
  res.writeHead(a.status, headers).end(res.req.method === 'HEAD' ? undefined : a.body);
}

/** Read a request body up to `max` bytes; null when it is larger. */
function readBody(req: http.IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.resume();
        resolve(null);
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const text = (status: number, body: string): HttpAnswer => ({ status, contentType: TEXT, body: `${body}\n` });

/** `127.0.0.1:18789` → `127.0.0.1`; `[::1]:80` → `[::1]`. */
function hostName(header: string | undefined): string {
  const h = (header ?? '').trim();
  return h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : (h.split(':')[0] ?? '');
}

export function createHttpHandler(routes: HttpRoutes, ctx: HttpContext): HttpHandler {
  const held = new Map<NodeJS.Timeout, http.ServerResponse>();
  const unauthorized = text(401, 'Unauthorized');
  const challenge = { 'www-authenticate': 'Bearer' };

  async function serve(route: HttpRoute, req: http.IncomingMessage, res: http.ServerResponse, session: WebSession | null): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    try {
      let body: Buffer = Buffer.alloc(0);
      if (req.method === 'POST') {
        const read = await readBody(req, route.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
        if (read === null) return reply(res, text(413, 'Request body too large'), { connection: 'close' });
        body = read;
      }
      const remote = req.socket.remoteAddress ?? 'unknown';
      const info: HttpRequestInfo = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        session,
        failedAuth: (how) => ctx.guard.fail(remote, how),
      };
      reply(res, await route.answer(info));
    } catch (err) {
      ctx.onError(err, url.pathname);
      reply(res, text(500, 'Internal error; see the gateway log'));
    }
  }

  return {
    handle(req, res) {
      const path = (req.url ?? '/').split('?')[0] as string;
      const route = routes.get(path);
      const origin = req.headers.origin;
      if (!originAllowed(origin, ctx.origins())) return reply(res, text(403, 'Forbidden origin'));
      if (isLoopback(ctx.host) && req.headers.host !== undefined && !isLoopback(hostName(req.headers.host))) return reply(res, text(403, 'Forbidden host'));
      if (!route) return reply(res, text(404, `Not found; this port serves ${[...routes.keys()].join(', ')} and the control WebSocket`));
      const methods = route.methods ?? DEFAULT_METHODS;
      if (!(methods as readonly string[]).includes(req.method ?? '')) return reply(res, text(405, 'Method not allowed'), { allow: methods.join(', ') });
      if (req.method === 'POST' && origin === undefined) return reply(res, text(403, 'A POST needs the Origin header of this gateway (the control page sends it)'));
      if (route.auth === 'open') return void serve(route, req, res, null);
      const session = route.auth === 'session' ? (ctx.sessions?.fromCookie(req.headers.cookie) ?? null) : null;
      if (session) return void serve(route, req, res, session);
      const bearer = bearerToken(req.headers.authorization);
      if (bearer !== null && tokenMatches(ctx.token, bearer)) return void serve(route, req, res, null);
      if (bearer === null) return reply(res, unauthorized, challenge);
      const remote = req.socket.remoteAddress ?? 'unknown';
      const delay = ctx.guard.fail(remote, `http ${path}`);
      if (held.size >= ctx.maxHeld) return reply(res, unauthorized, challenge);
      const timer = setTimeout(() => {
        held.delete(timer);
        reply(res, unauthorized, challenge);
      }, delay);
      held.set(timer, res);
      res.once('close', () => {
        clearTimeout(timer);
        held.delete(timer);
      });
    },
    release() {
      for (const [timer, res] of held) {
        clearTimeout(timer);
        reply(res, unauthorized, challenge);
      }
      held.clear();
    },
  };
}
