/**
 * The control page's HTTP side (README "The control page"): the page itself,
 * its static files, and sign-in.
 *
 * - Static files are a fixed allow-list (`PAGE_FILES`, `VENDOR_FILES`) read into
 *   memory when the gateway starts: a URL path is only ever a key of that list,
 *   never a file path, so nothing else on disk can be reached. The UI libraries
 *   (preact, htm, qrcode-generator) come from node_modules: the page works offline.
 * - Every page answer carries a strict Content-Security-Policy (self only, no
 *   inline script or style, no framing), `X-Frame-Options: DENY`, no referrer,
 *   and `no-store` (control-http.ts). The HTML holds no token.
 * - `POST /ui/session` signs in with `{code}` (a one-time code from
 *   `wagate dashboard`) or `{token}` (the control token, pasted): a session cookie
 *   (HttpOnly, SameSite=Strict, Path=/). A wrong one is a failed authentication
 *   (logged, slowed). control-http.ts refuses a POST without this gateway's Origin.
 * - `GET /ui/session` tells the page whether it is signed in; `POST /ui/logout` ends the session.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpAnswer, HttpRequestInfo, HttpRoute } from './control-http.js';
import { tokenMatches } from './token.js';
import type { WebSessions } from './web-sessions.js';

/** The page's own files, in `web/` at the package root: URL path → file name. */
export const PAGE_FILES: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/ui/style.css': 'style.css',
  '/ui/app.js': 'app.js',
  '/ui/rpc.js': 'rpc.js',
  '/ui/lib.js': 'lib.js',
  '/ui/accounts.js': 'accounts.js',
  '/ui/diagram.js': 'diagram.js',
  '/ui/link.js': 'link.js',
  '/ui/pairing.js': 'pairing.js',
  '/ui/messages.js': 'messages.js',
  '/ui/send.js': 'send.js',
  '/ui/logs.js': 'logs.js',
  '/ui/config.js': 'config.js',
  '/ui/nodes.js': 'nodes.js',
};

/**
 * The UI libraries, served from node_modules: URL path → [package, file beside
 * its resolved entry]. preact's hooks import the bare name "preact"; it is
 * rewritten to the served path once, here (an import map would need an inline
 * script, which the CSP forbids).
 */
export const VENDOR_FILES: Readonly<Record<string, readonly [string, string]>> = {
  '/ui/vendor/preact.mjs': ['preact', 'preact.mjs'],
  '/ui/vendor/hooks.mjs': ['preact/hooks', 'hooks.mjs'],
  '/ui/vendor/htm.mjs': ['htm', 'htm.mjs'],
  '/ui/vendor/qrcode.mjs': ['qrcode-generator', 'qrcode.mjs'],
};

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const PAGE_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
} as const;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
};

/** The package root (the folder with wagate's package.json), from src/ or dist/src/. */
export function packageRoot(from = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj) && (JSON.parse(fs.readFileSync(pj, 'utf8')) as { name?: string }).name === 'wagate') return dir;
    if (path.dirname(dir) === dir) throw new Error('wagate package root not found (no package.json named wagate above the module)');
  }
}

/** The served files, read once: URL path → [content type, bytes]. */
export function loadPageFiles(root = packageRoot()): Map<string, { type: string; body: Buffer }> {
  const out = new Map<string, { type: string; body: Buffer }>();
  for (const [url, name] of Object.entries(PAGE_FILES)) {
    out.set(url, { type: TYPES[path.extname(name)] ?? 'application/octet-stream', body: fs.readFileSync(path.join(root, 'web', name)) });
  }
  const req = createRequire(path.join(root, 'package.json'));
  for (const [url, [pkg, file]] of Object.entries(VENDOR_FILES)) {
    let text = fs.readFileSync(path.join(path.dirname(req.resolve(pkg)), file), 'utf8');
    if (pkg === 'preact/hooks') {
      const bare = /from\s*["']preact["']/g;
      if (!bare.test(text)) throw new Error('preact/hooks no longer imports "preact" as expected; update VENDOR_FILES');
      text = text.replace(bare, 'from"/ui/vendor/preact.mjs"');
    }
    out.set(url, { type: TYPES['.mjs']!, body: Buffer.from(text) });
  }
  return out;
}

export interface WebPageOptions {
  sessions: WebSessions;
  token: string;
  /** Where `POST /ui/upload` keeps a file for the Send view (`<state>/uploads`); none: no uploads. */
  uploadDir?: string;
  maxUploadBytes?: number;
  now?: () => number;
  /** Test hook: files already loaded. */
  files?: Map<string, { type: string; body: Buffer }>;
}

const json = (status: number, value: unknown, headers: Record<string, string> = {}): HttpAnswer => ({
  status,
  contentType: 'application/json; charset=utf-8',
  body: `${JSON.stringify(value)}\n`,
  headers: { ...PAGE_HEADERS, ...headers },
});

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

function parseSignIn(body: Buffer): { code?: string; token?: string } | null {
  try {
    const v = JSON.parse(body.toString('utf8')) as unknown;
    if (!v || typeof v !== 'object') return null;
    const { code, token } = v as Record<string, unknown>;
    if (typeof code === 'string') return { code };
    if (typeof token === 'string') return { token };
    return null;
  } catch {
    return null;
  }
}

export function pageRoutes(opts: WebPageOptions): Map<string, HttpRoute> {
  const files = opts.files ?? loadPageFiles();
  const { sessions } = opts;
  const routes = new Map<string, HttpRoute>();
  for (const [url, f] of files) {
    routes.set(url, { auth: 'open', answer: () => ({ status: 200, contentType: f.type, body: f.body, headers: PAGE_HEADERS }) });
  }

  async function signIn(req: HttpRequestInfo): Promise<HttpAnswer> {
    const given = parseSignIn(req.body);
    if (!given) return json(400, { error: 'Send {"code": "<one-time code>"} or {"token": "<control token>"}.' });
    const session = given.code !== undefined ? sessions.exchange(given.code) : tokenMatches(opts.token, given.token) ? sessions.create() : null;
    if (session) return json(200, { expiresAt: session.expiresAt }, { 'set-cookie': sessions.cookie(session) });
    await delay(req.failedAuth(given.code !== undefined ? 'page sign-in code' : 'page sign-in token'));
    const why =
      given.code !== undefined
        ? 'This sign-in link is used up or expired; run `wagate dashboard` for a new one.'
        : 'Wrong token; see gateway.auth.token or <state>/gateway.token.';
    return json(401, { error: why });
  }

  routes.set('/ui/session', {
    auth: 'open',
    methods: ['GET', 'POST'],
    answer: (req) => {
      if (req.method === 'POST') return signIn(req);
      const s = sessions.fromCookie(req.headers.cookie);
      return s ? json(200, { expiresAt: s.expiresAt }) : json(401, { error: 'Not signed in.' });
    },
  });
  routes.set('/ui/logout', {
    auth: 'session',
    methods: ['POST'],
    answer: (req) => {
      if (req.session) sessions.revoke(req.session.id);
      return json(200, { ok: true }, { 'set-cookie': sessions.clearCookie() });
    },
  });
  if (opts.uploadDir) routes.set('/ui/upload', uploadRoute(opts.uploadDir, opts.maxUploadBytes ?? 16 * 1024 * 1024, opts.now ?? Date.now));
  return routes;
}

/** Uploads older than this are removed at the next upload. */
export const UPLOAD_KEEP_MS = 60 * 60_000;

/** A file name that is only a name: no directories, no dot files, tame characters. */
export function safeFileName(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const tame = base.replace(/[^\w.\- ]+/g, '_').replace(/^\.+/, '').slice(0, 100);
  return tame || 'upload.bin';
}

/**
 * `POST /ui/upload` (session): the body is the file, `x-file-name` its name; it is
 * kept (mode 0600) as `<uploadDir>/<random>-<name>` and the answer is `{path}`
 * for the `send` method. Old uploads are swept on each upload.
 */
function uploadRoute(dir: string, max: number, now: () => number): HttpRoute {
  return {
    auth: 'session',
    methods: ['POST'],
    maxBodyBytes: max,
    answer: async (req) => {
      if (req.body.length === 0) return json(400, { error: 'Empty file.' });
      await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
      for (const f of await fs.promises.readdir(dir)) {
        const p = path.join(dir, f);
        const st = await fs.promises.stat(p).catch(() => null);
        if (st && now() - st.mtimeMs > UPLOAD_KEEP_MS) await fs.promises.rm(p, { force: true });
      }
      const header = req.headers['x-file-name'];
      const raw = Array.isArray(header) ? (header[0] ?? '') : (header ?? '');
      let decoded = raw;
      try {
        decoded = decodeURIComponent(raw);
      } catch {
        // keep it as sent
      }
      const name = safeFileName(decoded);
      const file = path.join(dir, `${crypto.randomBytes(8).toString('hex')}-${name}`);
      await fs.promises.writeFile(file, req.body, { mode: 0o600 });
      return json(200, { path: file, bytes: req.body.length });
    },
  };
}
