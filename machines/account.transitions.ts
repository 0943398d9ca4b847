/**
 * Transition tables shared by several states of the account machine. They name
 * actions and guards declared in account.machine.ts (checked when used there).
 */

/**
 * Where a CLOSE from `connecting`/`connected` leads (first match wins). Every close
 * kind is covered, so the last entry only ever sees 'retry'.
 */
export const SOCKET_CLOSE = [
  // Our own close (LOGOUT/STOP already moved on; a stale one changes nothing).
  { guard: { type: 'closeKind', params: { kinds: ['closed-by-us'] } } },
  // 515: restart at once, not counted as a failure.
  {
    guard: { type: 'closeKind', params: { kinds: ['restart'] } },
    target: '#account.connecting',
    reenter: true,
    actions: 'recordClose',
  },
  {
    guard: { type: 'closeKind', params: { kinds: ['logged-out'] } },
    target: '#account.logged-out',
    actions: ['recordClose', 'recordCloseError'],
  },
  {
    guard: { type: 'closeKind', params: { kinds: ['conflict', 'outdated'] } },
    target: '#account.degraded',
    actions: ['recordClose', 'recordCloseError'],
  },
  { guard: 'attemptsExhausted', target: '#account.degraded', actions: ['recordClose', 'giveUp'] },
  { target: '#account.backing-off', actions: ['recordClose', 'countAttempt'] },
] as const;

/** Where a CLOSE while `linking` leads: like SOCKET_CLOSE, but a link is never retried. */
export const LINKING_CLOSE = [
  { guard: { type: 'closeKind', params: { kinds: ['closed-by-us'] } } },
  // The post-scan 515: creds now exist; reconnect with them at once.
  {
    guard: { type: 'closeKind', params: { kinds: ['restart'] } },
    target: '#account.connecting',
    actions: ['recordClose', 'markLinked'],
  },
  // A link attempt is interactive: a transient close (408 = QR refs ran out) ends it
  // instead of retrying without creds.
  {
    guard: { type: 'closeKind', params: { kinds: ['retry'] } },
    target: '#account.unlinked',
    actions: ['recordClose', 'recordLinkFailure'],
  },
  {
    guard: { type: 'closeKind', params: { kinds: ['logged-out'] } },
    target: '#account.logged-out',
    actions: ['recordClose', 'recordCloseError'],
  },
  { target: '#account.degraded', actions: ['recordClose', 'recordCloseError'] },
] as const;

/** LOGOUT/STOP from a state where a socket may be open: close it first. */
export const SOCKET_LEAVE = {
  LOGOUT: { target: '#account.unlinked', actions: ['closeConnection', 'forgetLink'] },
  STOP: { target: '#account.stopped', actions: 'closeConnection' },
} as const;
