/**
 * The account lifecycle machine (SPEC §3). Pure: no I/O, no timers beyond the
 * named xstate delays. The runtime supplies the effects with `.provide()`:
 *
 * - `openConnection(args, { mode })` — open a socket, `'link'` (QR) or `'resume'`
 *   (saved creds); it must report back with QR / OPEN / CLOSE events.
 * - `closeConnection()` — close the socket if one is open (must be idempotent).
 *
 * `now` and `random` are closed over by the factory so context stays plain JSON.
 *
 *   unlinked ─START(linked)─► connecting ─OPEN─► connected ─CLOSE(retry)─► backing-off
 *   unlinked ─LOGIN─► linking ─CLOSE(515)─► connecting        backing-off ─retryDelay─► connecting
 *   any CLOSE: 401/403/402/406 → logged-out; 440/405/attempts exhausted → degraded
 *   LOGOUT → unlinked, STOP → stopped (final) from everywhere.
 */
import { assertEvent, assign, setup } from 'xstate';
import { MAX_TIMER_MS, backoffDelay, normalizeReconnectPolicy } from './backoff.js';
import { classifyClose, type CloseKind } from './close-codes.js';
import { gaveUpError, linkFailedError } from './account.errors.js';
import { LINKING_CLOSE, SOCKET_CLOSE, SOCKET_LEAVE } from './account.transitions.js';
import type {
  AccountContext,
  AccountInput,
  AccountMachineEvent,
  ConnectionMode,
} from './account.types.js';

export interface AccountMachineDeps {
  /** Wall clock in ms (default `Date.now`); used for timestamps in context. */
  now?: () => number;
  /** Uniform draw in [0, 1) for backoff jitter (default `Math.random`). */
  random?: () => number;
}

const DEFAULT_HEARTBEAT_SECONDS = 60;

function closeKindOf(event: AccountMachineEvent): CloseKind | null {
  return event.type === 'CLOSE' ? classifyClose(event.code, event.reason).kind : null;
}

export function createAccountMachine(deps: AccountMachineDeps = {}) {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;

  return setup({
    types: {} as {
      context: AccountContext;
      events: AccountMachineEvent;
      input: AccountInput;
    },
    actions: {
      openConnection: (_args, _params: { mode: ConnectionMode }) => {},
      closeConnection: () => {},
      recordClose: assign({
        lastClose: ({ event }) => {
          assertEvent(event, 'CLOSE');
          return { code: event.code, reason: event.reason, at: now() };
        },
      }),
      recordCloseError: assign({
        error: ({ event }) => {
          assertEvent(event, 'CLOSE');
          return classifyClose(event.code, event.reason).error ?? null;
        },
      }),
      recordLinkFailure: assign({
        error: ({ event }) => {
          assertEvent(event, 'CLOSE');
          return linkFailedError(event.code, event.reason);
        },
      }),
      giveUp: assign({ error: ({ context }) => gaveUpError(context.attempt) }),
      countAttempt: assign({ attempt: ({ context }) => context.attempt + 1 }),
      resetAttempts: assign({ attempt: 0 }),
      markLinked: assign({ linked: true }),
      markUnlinked: assign({ linked: false }),
      beginLink: assign({ linked: false, identity: null, qrCount: 0, error: null, attempt: 0 }),
      beginReconnect: assign({ attempt: 0, error: null }),
      countQr: assign({ qrCount: ({ context }) => context.qrCount + 1 }),
      markOpen: assign({
        linked: true,
        error: null,
        connectedSince: () => now(),
        identity: ({ event }) => {
          assertEvent(event, 'OPEN');
          return event.identity;
        },
      }),
      clearConnectedSince: assign({ connectedSince: null }),
      scheduleRetry: assign(({ context }) => {
        const delay = backoffDelay(context.policy, context.attempt, random());
        return { retryDelayMs: delay, nextRetryAt: now() + delay };
      }),
      clearRetry: assign({ retryDelayMs: null, nextRetryAt: null }),
      forgetLink: assign({ linked: false, identity: null, error: null, attempt: 0, qrCount: 0 }),
    },
    guards: {
      isLinked: ({ context }) => context.linked,
      startsLinked: ({ context, event }) =>
        event.type === 'START' && (event.hasCreds ?? context.linked),
      closeKind: ({ event }, params: { kinds: readonly CloseKind[] }) => {
        const kind = closeKindOf(event);
        return kind !== null && params.kinds.includes(kind);
      },
      attemptsExhausted: ({ context }) =>
        context.policy.maxAttempts > 0 && context.attempt >= context.policy.maxAttempts,
    },
    delays: {
      retryDelay: ({ context }) => context.retryDelayMs ?? 0,
      stableAfter: ({ context }) => context.heartbeatSeconds * 1000,
    },
  }).createMachine({
    id: 'account',
    context: ({ input }) => ({
      accountId: input.accountId,
      linked: input.hasCreds,
      attempt: 0,
      retryDelayMs: null,
      nextRetryAt: null,
      lastClose: null,
      connectedSince: null,
      identity: null,
      qrCount: 0,
      error: null,
      policy: normalizeReconnectPolicy(input.reconnect),
      heartbeatSeconds:
        Number.isFinite(input.heartbeatSeconds) && input.heartbeatSeconds > 0
          ? Math.min(input.heartbeatSeconds, Math.floor(MAX_TIMER_MS / 1000))
          : DEFAULT_HEARTBEAT_SECONDS,
    }),
    // The account waits in `unlinked` until the supervisor sends START (an explicit
    // event rather than an `always` guard, so nothing opens before the runtime is ready).
    initial: 'unlinked',
    on: {
      // From states where no socket can be open; the socket states override these.
      LOGOUT: { target: '.unlinked', actions: 'forgetLink' },
      STOP: { target: '.stopped' },
    },
    states: {
      unlinked: {
        on: {
          START: [
            { guard: 'startsLinked', target: 'connecting', actions: 'markLinked' },
            { actions: 'markUnlinked' },
          ],
          LOGIN: { target: 'linking', actions: 'beginLink' },
        },
      },
      linking: {
        entry: { type: 'openConnection', params: { mode: 'link' } },
        on: {
          QR: { actions: 'countQr' },
          OPEN: { target: 'connected', actions: 'markOpen' },
          CLOSE: [...LINKING_CLOSE],
          ...SOCKET_LEAVE,
        },
      },
      // Not in the SPEC's list: the socket is opening with saved creds (after START,
      // a 515 restart, a backoff timer or RECONNECT). Needed so "waiting for a retry"
      // and "trying right now" are told apart.
      connecting: {
        entry: { type: 'openConnection', params: { mode: 'resume' } },
        on: {
          OPEN: { target: 'connected', actions: 'markOpen' },
          CLOSE: [...SOCKET_CLOSE],
          ...SOCKET_LEAVE,
        },
      },
      connected: {
        exit: 'clearConnectedSince',
        after: { stableAfter: { actions: 'resetAttempts' } },
        on: {
          CLOSE: [...SOCKET_CLOSE],
          ...SOCKET_LEAVE,
        },
      },
      'backing-off': {
        entry: 'scheduleRetry',
        exit: 'clearRetry',
        after: { retryDelay: { target: 'connecting' } },
      },
      'logged-out': {
        on: { LOGIN: { target: 'linking', actions: 'beginLink' } },
      },
      degraded: {
        on: {
          LOGIN: { target: 'linking', actions: 'beginLink' },
          RECONNECT: { guard: 'isLinked', target: 'connecting', actions: 'beginReconnect' },
        },
      },
      stopped: { type: 'final' },
    },
  });
}

export type AccountMachine = ReturnType<typeof createAccountMachine>;
