/**
 * Who may reach the control port, decided from the bind address alone (no I/O,
 * so the config rules can use it too): loopback or not, how long a configured
 * token must be, and which browser origins may open a WebSocket.
 */

/** A configured token shorter than this is refused when the gateway binds beyond loopback. */
export const MIN_TOKEN_LENGTH = 16;

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || /^(::ffff:)?127\./.test(h);
}

/** Why a configured token cannot be used on this bind address; null when it can. */
export function weakTokenProblem(host: string, token: string | undefined): string | null {
  if (token === undefined || isLoopback(host) || token.length >= MIN_TOKEN_LENGTH) return null;
  return `gateway.auth.token has ${token.length} characters; binding ${host} (beyond loopback) needs at least ${MIN_TOKEN_LENGTH}`;
}

/** `Origin` values compare lower-case, without a trailing slash. */
export function normalizeOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}

/**
 * Origins a browser may open the control WebSocket from: the gateway's own
 * (`http://<bind>:<port>`; with a loopback bind also `localhost` and
 * `127.0.0.1`) and the configured `gateway.allowedOrigins`.
 */
export function allowedOrigins(host: string, port: number, extra: readonly string[] = []): Set<string> {
  const bracket = (h: string) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h);
  const hosts = new Set([bracket(host)]);
  if (isLoopback(host)) for (const h of ['localhost', '127.0.0.1', '[::1]']) hosts.add(h);
  const out = new Set([...hosts].map((h) => normalizeOrigin(`http://${h}:${port}`)));
  for (const o of extra) out.add(normalizeOrigin(o));
  return out;
}

/** True when the upgrade may proceed: no `Origin` header (CLI, scripts), or an allowed one. */
export function originAllowed(origin: string | undefined, allowed: ReadonlySet<string>): boolean {
  return origin === undefined || allowed.has(normalizeOrigin(origin));
}
