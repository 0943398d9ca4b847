/**
 * Plain HTTP on the control port, beside the WebSocket: `GET`/`HEAD` of the
 * routes the supervisor gives (`/metrics`, `/healthz`, `/readyz`).
 *
 * - An `Origin` header that is present and not allowed → 403, as for the WebSocket.
 * - On a loopback bind, a `Host` that is not a loopback name → 403 (a web page
 *   reaching 127.0.0.1 through DNS rebinding names its own host).
 * - A route with `auth: 'token'` needs `Authorization: Bearer <control token>`:
 *   missing → 401 at once; wrong → a failed authentication (auth-guard.ts: logged,
 *   slowed), answered 401 after the address's delay — at once while
 *   `maxHeld` answers already wait. A 401 says nothing more than its status.
 * - Another path → 404; another method → 405.
 */
import http from 'node:http';
import type { AuthGuard } from './auth-guard.js';
import { isLoopback, originAllowed } from './bind-policy.js';
import { bearerToken } from './control-admission.js';
import { tokenMatches } from './token.js';

export interface HttpAnswer {
  status: number;
  contentType: string;
  body: string;
}

export interface HttpRoute {
  /** `token`: the control token as a bearer; `open`: anyone who reaches the port. */
  auth: 'token' | 'open';
  answer(): Promise<HttpAnswer> | HttpAnswer;
}

export type HttpRoutes = ReadonlyMap<string, HttpRoute>;

export interface HttpContext {
  host: string;
  token: string;
  guard: AuthGuard;
  origins(): ReadonlySet<string>;
  /** 401 answers held at most at once (each waits out its address's delay). */
  maxHeld: number;
  onError(err: unknown, path: string): void;
}

export interface HttpHandler {
  handle(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** Answer the held 401s now (shutdown). */
  release(): void;
}

const TEXT = 'text/plain; charset=utf-8';

function reply(res: http.ServerResponse, a: HttpAnswer, extra: http.OutgoingHttpHeaders = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(a.status, { 'content-type': a.contentType, 'cache-control': 'no-store', ...extra }).end(a.body);
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

  async function serve(route: HttpRoute, path: string, res: http.ServerResponse): Promise<void> {
    try {
      reply(res, await route.answer());
    } catch (err) {
      ctx.onError(err, path);
      reply(res, text(500, 'Internal error; see the gateway log'));
    }
  }

  return {
    handle(req, res) {
      const path = (req.url ?? '/').split('?')[0] as string;
      const route = routes.get(path);
      if (!originAllowed(req.headers.origin, ctx.origins())) return reply(res, text(403, 'Forbidden origin'));
      if (isLoopback(ctx.host) && req.headers.host !== undefined && !isLoopback(hostName(req.headers.host))) return reply(res, text(403, 'Forbidden host'));
      if (!route) return reply(res, text(404, `Not found; this port serves ${[...routes.keys()].join(', ')} and the control WebSocket`));
      if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, text(405, 'Method not allowed'), { allow: 'GET, HEAD' });
      if (route.auth === 'open') return void serve(route, path, res);
      const bearer = bearerToken(req.headers.authorization);
      if (bearer !== null && tokenMatches(ctx.token, bearer)) return void serve(route, path, res);
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
