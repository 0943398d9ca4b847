/**
 * Files holding secrets are created 0600 (SPEC: creds, tokens, stores). `open()`
 * applies the umask to the requested mode, and a umask can only clear bits: with
 * the usual 022 or 077, `open(tmp, …, 0o600)` already yields exactly 0600 and the
 * extra `fchmod` — one more thread-pool round trip on every Signal key write — buys
 * nothing. It is still done whenever the umask clears a bit of the wanted mode, or
 * when the umask cannot be read.
 *
 * The umask is read once, race-free, from /proc/self/status (Linux). Node's
 * `process.umask()` without an argument sets the umask to 0 and back, a window in
 * which a file created by another thread would get mode 0666; it is not used.
 */
import fs from 'node:fs';

/** The `Umask:` line of /proc/self/status, or null where there is none. */
export function parseUmask(status: string): number | null {
  const m = /^Umask:\s*([0-7]{1,4})\s*$/m.exec(status);
  return m ? parseInt(m[1]!, 8) : null;
}

let cached: number | null | undefined;

/** The process umask as the kernel reports it (read once), or null when unknown. */
export function processUmask(): number | null {
  if (cached === undefined) {
    try {
      cached = parseUmask(fs.readFileSync('/proc/self/status', 'utf8'));
    } catch {
      cached = null;
    }
  }
  return cached;
}

/** True when a file opened with `mode` may end up with fewer bits: chmod it to make it exact. */
export function chmodNeeded(mode: number, umask: number | null = processUmask()): boolean {
  return umask === null || (umask & mode & 0o7777) !== 0;
}
