/**
 * The account lifecycle machine (SPEC §3). Pure: no I/O, no timers beyond the
 * named xstate delays. The socket lives in the `connection` actor, invoked by the
 * parent state `online` (linking, connecting, connected): entering `online` opens
 * one connection (`'link'` without creds, `'resume'` with them), leaving it stops
 * the actor, which closes the socket. The runtime supplies the real actor with
 * `.provide({ actors: { connection } })`; it reports QR / OPEN / CLOSE and runs the
 * watchdog. Events of a stopped actor never reach the machine.
 *
 * `now` and `random` are closed over by the factory so context stays plain JSON.
 *
 *   unlinked ─START(linked)─► connecting ─OPEN─► connected ─CLOSE(retry|stalled)─► backing-off
 *   unlinked ─LOGIN─► linking ─CLOSE(515)─► connecting        backing-off ─retryDelay─► connecting
 *   unlinked ─START(error)─► degraded
 *   any CLOSE: 401/403/402/406 → logged-out; 440/405/failed/attempts exhausted → degraded
 *   LOGOUT → unlinked, STOP → stopped (final) from everywhere.
 */
import { assertEvent, assign, fromCallback, setup } from 'xstate';
import { MAX_TIMER_MS, backoffDelay, normalizeReconnectPolicy } from './backoff.js';
import { classifyEnd, type CloseKind } from './close-codes.js';
import { gaveUpError, linkFailedError } from './account.errors.js';
import { LINKING_CLOSE, SOCKET_CLOSE } from './account.transitions.js';
import type {
  AccountContext,
  AccountInput,
  AccountMachineEvent,
  ConnectionActorEvent,
  ConnectionInput,
} from './account.types.js';

export interface AccountMachineDeps {
  /** Wall clock in ms (default `Date.now`); used for timestamps in context. */
  now?: () => number;
  /** Uniform draw in [0, 1) for backoff jitter (default `Math.random`). */
  random?: () => number;
}

const DEFAULT_HEARTBEAT_SECONDS = 60;

/** The default connection actor opens nothing; the runtime provides the real one. */
export const noConnection = fromCallback<ConnectionActorEvent, ConnectionInput>(() => undefined);

function closeKindOf(event: AccountMachineEvent): CloseKind | null {
  return event.type === 'CLOSE' ? classifyEnd(event).kind : null;
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
    actors: { connection: noConnection },
    actions: {
      recordClose: assign({
        lastClose: ({ event }) => {
          assertEvent(event, 'CLOSE');
          return { kind: classifyEnd(event).kind, code: event.code, reason: event.reason, at: now() };
        },
      }),
      recordCloseError: assign({
        error: ({ event }) => {
          assertEvent(event, 'CLOSE');
          return classifyEnd(event).error ?? null;
        },
      }),
      recordLinkFailure: assign({
        error: ({ event, context }) => {
          assertEvent(event, 'CLOSE');
          return linkFailedError(event.code, event.reason, context.linkPhone ?? null);
        },
      }),
      recordStartError: assign({
        linked: false,
        error: ({ event }) => {
          assertEvent(event, 'START');
          return 'error' in event ? event.error : null;
        },
      }),
      giveUp: assign({ error: ({ context }) => gaveUpError(context.attempt) }),
      countAttempt: assign({ attempt: ({ context }) => context.attempt + 1 }),
      resetAttempts: assign({ attempt: 0 }),
      markLinked: assign({ linked: true }),
      markUnlinked: assign({ linked: false }),
      beginLink: assign(({ event }) => {
        assertEvent(event, 'LOGIN');
        return { linked: false, identity: null, qrCount: 0, error: null, attempt: 0, linkPhone: event.phone ?? null };
      }),
      beginReconnect: assign({ attempt: 0, error: null }),
      countQr: assign({ qrCount: ({ context }) => context.qrCount + 1 }),
      markOpen: assign(({ context, event }) => {
        assertEvent(event, 'OPEN');
        const at = now();
        return { linked: true, error: null, linkPhone: null, connectedSince: at, firstConnectedAt: context.firstConnectedAt ?? at, identity: event.identity };
      }),
      clearConnectedSince: assign({ connectedSince: null }),
      scheduleRetry: assign(({ context }) => {
        const delay = backoffDelay(context.policy, context.attempt, random());
        return { retryDelayMs: delay, nextRetryAt: now() + delay };
      }),
      clearRetry: assign({ retryDelayMs: null, nextRetryAt: null }),
      forgetLink: assign({ linked: false, identity: null, error: null, attempt: 0, qrCount: 0, linkPhone: null }),
    },
    guards: {
      isLinked: ({ context }) => context.linked,
      startsLinked: ({ event }) => event.type === 'START' && 'linked' in event && event.linked,
      startFailed: ({ event }) => event.type === 'START' && 'error' in event,
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
      linked: false,
      attempt: 0,
      retryDelayMs: null,
      nextRetryAt: null,
      lastClose: null,
      connectedSince: null,
      firstConnectedAt: null,
      identity: null,
      qrCount: 0,
      linkPhone: null,
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
      // From every state; leaving `online` closes the socket on the way.
      LOGOUT: { target: '.unlinked', actions: 'forgetLink' },
      STOP: { target: '.stopped' },
    },
    states: {
      unlinked: {
        on: {
          START: [
            { guard: 'startsLinked', target: 'online', actions: 'markLinked' },
            { guard: 'startFailed', target: 'degraded', actions: 'recordStartError' },
            { actions: 'markUnlinked' },
          ],
          LOGIN: { target: 'online.linking', actions: 'beginLink' },
        },
      },
      // One connection's lifetime: the actor is started on entry and stopped on exit.
      online: {
        invoke: {
          id: 'connection',
          src: 'connection',
          input: ({ context }) =>
            context.linked ? { accountId: context.accountId, mode: 'resume' as const } : { accountId: context.accountId, mode: 'link' as const, phone: context.linkPhone },
        },
        initial: 'connecting',
        on: { CLOSE: [...SOCKET_CLOSE] },
        states: {
          linking: {
            on: {
              QR: { actions: 'countQr' },
              OPEN: { target: 'connected', actions: 'markOpen' },
              CLOSE: [...LINKING_CLOSE],
            },
          },
          // Not in the SPEC's list: the socket is opening with saved creds (after START,
          // a 515 restart, a backoff timer or RECONNECT). Needed so "waiting for a retry"
          // and "trying right now" are told apart.
          connecting: {
            on: { OPEN: { target: 'connected', actions: 'markOpen' } },
          },
          connected: {
            exit: 'clearConnectedSince',
            after: { stableAfter: { actions: 'resetAttempts' } },
          },
        },
      },
      'backing-off': {
        entry: 'scheduleRetry',
        exit: 'clearRetry',
        after: { retryDelay: { target: 'online' } },
      },
      'logged-out': {
        on: { LOGIN: { target: 'online.linking', actions: 'beginLink' } },
      },
      degraded: {
        on: {
          LOGIN: { target: 'online.linking', actions: 'beginLink' },
          RECONNECT: { guard: 'isLinked', target: 'online', actions: 'beginReconnect' },
        },
      },
      stopped: { type: 'final' },
    },
  });
}

export type AccountMachine = ReturnType<typeof createAccountMachine>;
