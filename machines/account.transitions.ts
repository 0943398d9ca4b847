/**
 * Transition tables for a CLOSE of the connection actor. They name actions and
 * guards declared in account.machine.ts (checked when used there). Leaving the
 * `online` state stops the connection actor, which closes its socket; targeting
 * `#account.online` again (reenter) replaces the connection with a fresh one.
 */

/**
 * Where a CLOSE from `connecting`/`connected` leads (first match wins). Every close
 * kind is covered, so the last entry only ever sees 'retry' or 'stalled'.
 */
export const SOCKET_CLOSE = [
  // Our own close (the unlink before LOGOUT); LOGOUT/STOP decide what follows.
  { guard: { type: 'closeKind', params: { kinds: ['closed-by-us'] } } },
  // 515: a fresh connection at once, not counted as a failure.
  {
    guard: { type: 'closeKind', params: { kinds: ['restart'] } },
    target: '#account.online',
    reenter: true,
    actions: 'recordClose',
  },
  {
    guard: { type: 'closeKind', params: { kinds: ['logged-out'] } },
    target: '#account.logged-out',
    actions: ['recordClose', 'recordCloseError'],
  },
  {
    guard: { type: 'closeKind', params: { kinds: ['conflict', 'outdated', 'failed'] } },
    target: '#account.degraded',
    actions: ['recordClose', 'recordCloseError'],
  },
  { guard: 'attemptsExhausted', target: '#account.degraded', actions: ['recordClose', 'giveUp'] },
  { target: '#account.backing-off', actions: ['recordClose', 'countAttempt'] },
] as const;

/** Where a CLOSE while `linking` leads: like SOCKET_CLOSE, but a link is never retried. */
export const LINKING_CLOSE = [
  { guard: { type: 'closeKind', params: { kinds: ['closed-by-us'] } } },
  // The post-scan 515: creds now exist; a fresh connection with them at once.
  {
    guard: { type: 'closeKind', params: { kinds: ['restart'] } },
    target: '#account.online',
    reenter: true,
    actions: ['recordClose', 'markLinked'],
  },
  // A link attempt is interactive: a transient close (408 = QR refs ran out) ends it
  // instead of retrying without creds.
  {
    guard: { type: 'closeKind', params: { kinds: ['retry', 'stalled'] } },
    target: '#account.unlinked',
    actions: ['recordClose', 'recordLinkFailure'],
  },
  {
    guard: { type: 'closeKind', params: { kinds: ['logged-out'] } },
    target: '#account.logged-out',
    actions: ['recordClose', 'recordCloseError'],
  },
  // conflict, outdated, failed
  { target: '#account.degraded', actions: ['recordClose', 'recordCloseError'] },
] as const;
