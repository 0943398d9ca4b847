/**
 * Which WhatsApp Web version our connections announce (SPEC §4). WhatsApp closes a
 * client it thinks outdated with 405, and Baileys' bundled version ages, so at each
 * connect the version is, in order:
 *
 *   1. `web.version` when set (source `config`);
 *   2. the current one, fetched from `web.versionUrl` (WhatsApp Web's `sw.js`, its
 *      `client_revision`, as Baileys' `fetchLatestWaWebVersion` reads it) with a short
 *      timeout — at most once a day: a fetch younger than a day is reused, from memory
 *      (`fetched`) or from the store (`cache`), and a failed fetch is not tried again
 *      for an hour;
 *   3. when the fetch fails: the last fetched one in the store, however old (`cache`);
 *   4. else the one Baileys bundles (`bundled`).
 *
 * A 405 asks for a refresh (`resolve({ refresh: true })`): a fetch now, whatever the
 * day's limit says (web-version-retry.ts retries the connection once with it).
 * One resolver per process: every account shares its fetch and its cache.
 */
import { DEFAULT_CONNECTION_CONFIG, type WAVersion } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { WebVersionInUse } from '../ports/transport.js';
import type { Store } from '../store/port.js';

export type { WebVersionInUse, WebVersionSource } from '../ports/transport.js';

/** A fetched version is good for a day. */
export const VERSION_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** After a failed fetch, connects use the fallback this long before fetching again. */
export const FETCH_RETRY_MS = 60 * 60 * 1000;
/** A fetch that has not answered by then has failed. */
export const FETCH_TIMEOUT_MS = 5000;
/** `sw.js` is about 100 kB; anything much bigger is not it. */
const MAX_BODY_CHARS = 4 * 1024 * 1024;
/** What WhatsApp Web's server wants to see before it serves `sw.js` (as Baileys sends). */
const FETCH_HEADERS = {
  'sec-fetch-site': 'none',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
};

/** The version Baileys bundles, e.g. `[2, 3000, 1023223821]`. */
export function bundledVersion(): WAVersion {
  return [...DEFAULT_CONNECTION_CONFIG.version] as WAVersion;
}

/** e.g. `2.3000.1043857760`. */
export function bundledWebVersion(): string {
  return formatVersion(bundledVersion());
}

export function formatVersion(v: readonly number[]): string {
  return v.join('.');
}

/** `2.3000.N` → `[2, 3000, N]`; undefined for anything else. */
export function parseVersionText(text: string): WAVersion | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (!m) return undefined;
  const v = [Number(m[1]), Number(m[2]), Number(m[3])];
  return v.every((n) => Number.isSafeInteger(n) && n > 0) ? (v as WAVersion) : undefined;
}

/**
 * The version in the text of WhatsApp Web's `sw.js`: its `client_revision` (written
 * `"client_revision":N` or, inside a JSON string, `\"client_revision\":N`), as `[2, 3000, N]`.
 */
export function parseServiceWorker(text: string): WAVersion | undefined {
  const m = /\\?"client_revision\\?":\s*(\d+)/.exec(text);
  const revision = m ? Number(m[1]) : NaN;
  return Number.isSafeInteger(revision) && revision > 0 ? [2, 3000, revision] : undefined;
}

export interface WebVersionResolverOptions {
  /** `web.version`. */
  configured?: readonly [number, number, number];
  /** `web.versionUrl`. */
  url: string;
  store: Store;
  logger: Logger;
  now?: () => number;
  /** Tests: another fetch. */
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export interface ResolvedWebVersion extends WebVersionInUse {
  /** For Baileys' `version` option. */
  value: WAVersion;
}

export class WebVersionResolver {
  private readonly now: () => number;
  /** What this process fetched last (shared by every account). */
  private fetched: { value: WAVersion; at: number } | undefined;
  private failedAt: number | undefined;
  private inFlight: Promise<{ value: WAVersion; at: number } | undefined> | undefined;

  constructor(private readonly opts: WebVersionResolverOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** `web.version` is set: nothing is fetched, and a 405 is not retried. */
  get pinned(): boolean {
    return this.opts.configured !== undefined;
  }

  /** The version for the next connection; `refresh` (after a 405) fetches now. Never throws. */
  async resolve(opts: { refresh?: boolean } = {}): Promise<ResolvedWebVersion> {
    const { configured } = this.opts;
    if (configured) return resolved([...configured] as WAVersion, 'config');
    const now = this.now();
    if (!opts.refresh) {
      if (this.fetched && now - this.fetched.at < VERSION_MAX_AGE_MS) return resolved(this.fetched.value, 'fetched', this.fetched.at);
      const cached = await this.cached();
      if (cached && now - cached.at < VERSION_MAX_AGE_MS) return resolved(cached.value, 'cache', cached.at);
      if (this.failedAt !== undefined && now - this.failedAt < FETCH_RETRY_MS) return this.fallback(cached);
    }
    const got = await this.fetchShared();
    return got ? resolved(got.value, 'fetched', got.at) : this.fallback(await this.cached());
  }

  /**
   * What a connect would start from without fetching (`wagate doctor` and `channels
   * status` with no gateway running): `web.version`, else the cached one (any age), else
   * Baileys' bundled one.
   */
  async peek(): Promise<ResolvedWebVersion> {
    const { configured } = this.opts;
    if (configured) return resolved([...configured] as WAVersion, 'config');
    return this.fallback(await this.cached());
  }

  private fallback(cached: { value: WAVersion; at: number } | undefined): ResolvedWebVersion {
    return cached ? resolved(cached.value, 'cache', cached.at) : resolved(bundledVersion(), 'bundled');
  }

  private async cached(): Promise<{ value: WAVersion; at: number } | undefined> {
    try {
      const rec = await this.opts.store.webVersions.get(this.opts.url);
      const value = rec ? parseVersionText(rec.version) : undefined;
      return rec && value ? { value, at: rec.fetchedAt } : undefined;
    } catch (err) {
      this.opts.logger.warn({ err }, 'reading the cached WhatsApp Web version failed');
      return undefined;
    }
  }

  /** One fetch at a time for the whole process; concurrent connects share it. */
  private fetchShared(): Promise<{ value: WAVersion; at: number } | undefined> {
    this.inFlight ??= this.fetchOnce().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async fetchOnce(): Promise<{ value: WAVersion; at: number } | undefined> {
    const { url, logger: log } = this.opts;
    try {
      const value = await fetchWebVersion(url, { fetch: this.opts.fetch, timeoutMs: this.opts.timeoutMs });
      const at = this.now();
      this.fetched = { value, at };
      this.failedAt = undefined;
      log.info({ version: formatVersion(value), url }, 'fetched the current WhatsApp Web version');
      await this.opts.store.webVersions
        .put({ url, version: formatVersion(value), fetchedAt: at })
        .catch((err: unknown) => log.warn({ err }, 'caching the WhatsApp Web version failed'));
      return this.fetched;
    } catch (err) {
      this.failedAt = this.now();
      log.warn({ url, err: (err as Error).message }, 'could not fetch the current WhatsApp Web version; using the cached or bundled one');
      return undefined;
    }
  }
}

/** Without Baileys' tuple: what status and metrics show. */
export function versionInUse(v: ResolvedWebVersion): WebVersionInUse {
  return { version: v.version, source: v.source, ...(v.fetchedAt !== undefined ? { fetchedAt: v.fetchedAt } : {}) };
}

function resolved(value: WAVersion, source: WebVersionInUse['source'], fetchedAt?: number): ResolvedWebVersion {
  return { value, version: formatVersion(value), source, ...(fetchedAt !== undefined ? { fetchedAt } : {}) };
}

/** GET `url` (WhatsApp Web's `sw.js`) and read its `client_revision`; throws on any failure. */
export async function fetchWebVersion(url: string, opts: { fetch?: typeof fetch; timeoutMs?: number } = {}): Promise<WAVersion> {
  const res = await (opts.fetch ?? fetch)(url, {
    headers: FETCH_HEADERS,
    redirect: 'follow',
    signal: AbortSignal.timeout(opts.timeoutMs ?? FETCH_TIMEOUT_MS),
  });
  if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`);
  const text = await res.text();
  const version = parseServiceWorker(text.length > MAX_BODY_CHARS ? text.slice(0, MAX_BODY_CHARS) : text);
  if (!version) throw new Error(`${url} holds no client_revision`);
  return version;
}
