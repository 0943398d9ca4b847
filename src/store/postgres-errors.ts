/**
 * The PostgreSQL store's URL and errors: where it is, said without the password
 * (`location`), and driver failures as WAGATE_ERR_STORE with what was being done and
 * what to do — the password never in either.
 */
import { isWagateError, WagateError } from '../errors.js';

/** Query parameters of a connection URL that may carry a secret. */
const SECRET_PARAM = /pass|secret|key/i;

/** The URL without its password (and without secret-named query parameters). */
export function redactUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'postgres://(a URL that does not parse)';
  }
  u.password = '';
  for (const k of [...u.searchParams.keys()]) if (SECRET_PARAM.test(k)) u.searchParams.delete(k);
  return u.toString();
}

/** The secret strings of a URL (password, secret-named parameters), raw and decoded, to scrub from messages. */
export function urlSecrets(raw: string): string[] {
  const out = new Set<string>();
  try {
    const u = new URL(raw);
    if (u.password) {
      out.add(u.password);
      try {
        out.add(decodeURIComponent(u.password));
      } catch {
        // a malformed escape: the raw form is scrubbed
      }
    }
    for (const [k, v] of u.searchParams) if (SECRET_PARAM.test(k) && v) out.add(v);
  } catch {
    // nothing parses, nothing to scrub beyond the whole URL
  }
  out.add(raw);
  return [...out].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
}

export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('***');
  return out;
}

function errCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function hintFor(code: string | undefined): string {
  if (code === undefined) return 'check that the PostgreSQL server is running and reachable, and its log';
  if (/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNRESET|EPIPE)$/.test(code) || code.startsWith('08')) {
    return 'the PostgreSQL server cannot be reached: check that it runs and the host and port of the URL';
  }
  if (code.startsWith('28')) return 'the server refused the user or password: check the URL (or WAGATE_STORE_URL)';
  if (code === '3D000') return 'the database does not exist: create it (`createdb`) or fix the URL';
  if (code === '42501') return 'the user lacks a privilege: grant it CREATE and the use of its tables in that database';
  if (code === '53300') return 'the server has no free connection slots: raise max_connections or lower the other clients';
  if (code.startsWith('53')) return 'the server is out of resources (disk, memory): see its log';
  if (code.startsWith('57P')) return 'the server is shutting down or restarting; try again when it is up';
  if (code.startsWith('23')) return 'a row with that key exists already, or a value is not allowed';
  if (code.startsWith('40')) return 'a concurrent transaction got in the way; try again';
  return "see the PostgreSQL server's log";
}

/**
 * Driver failures as WAGATE_ERR_STORE; a WagateError, or a RangeError from a caller's
 * bad argument, as it is. The server's own message is kept (it names the table, the
 * constraint …) with every secret of the URL replaced by `***`.
 */
export function pgStoreError(location: string, secrets: readonly string[], what: string, err: unknown): unknown {
  if (isWagateError(err) || err instanceof RangeError) return err;
  const code = errCode(err);
  const raw = err instanceof Error ? err.message : String(err);
  const detail = scrub(raw, secrets);
  const tag = code ? ` (${code})` : '';
  const message = `Cannot ${what} in the store ${location}${tag}: ${detail || 'no message'}; ${hintFor(code)}.`;
  // The cause keeps the driver's stack, unless its message held a secret.
  return new WagateError('WAGATE_ERR_STORE', message, detail === raw ? { cause: err } : undefined);
}
