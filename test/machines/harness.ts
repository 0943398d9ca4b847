/**
 * Test harness for the account machine: a SimulatedClock that can tell whether any
 * timer is still pending, recorded effects, and a scripted random source.
 */
import { createActor, fromCallback, SimulatedClock, type Actor, type InspectionEvent } from 'xstate';
import {
  accountStateOf,
  createAccountMachine,
  type AccountContext,
  type AccountMachine,
  type AccountMachineEvent,
  type AccountStateValue,
  type ConnectionActorEvent,
  type ConnectionInput,
  type ConnectionMode,
  type ReconnectPolicy,
} from '../../machines/index.js';

/** SimulatedClock that tracks which timeouts are still scheduled. */
export class TrackingClock extends SimulatedClock {
  readonly pending = new Set<number>();

  override setTimeout(fn: (...args: unknown[]) => void, timeout: number): number {
    const id: number = super.setTimeout(() => {
      this.pending.delete(id);
      fn();
    }, timeout);
    this.pending.add(id);
    return id;
  }

  override clearTimeout(id: number): void {
    this.pending.delete(id);
    super.clearTimeout(id);
  }
}

/** A fixed wall-clock origin so timestamps in context look like real ones. */
export const T0 = 1_700_000_000_000;

export interface HarnessOptions {
  /** What START says was found on disk (default true). */
  hasCreds?: boolean;
  reconnect?: Partial<ReconnectPolicy>;
  heartbeatSeconds?: number;
  /** Random draws, used in order (the last one repeats); default always 0.5. */
  draws?: number[];
  /** Send START right away (default true). */
  start?: boolean;
  /** Passed to createActor (e.g. to see which transitions were taken). */
  inspect?: (event: InspectionEvent) => void;
}

export interface Harness {
  actor: Actor<AccountMachine>;
  clock: TrackingClock;
  /** Every connection actor started, by mode, in order. */
  opens: ConnectionMode[];
  /** Number of connection actors stopped (each closes its socket). */
  closes: number;
  /** What START carries for this harness. */
  hasCreds: boolean;
  /** Every random draw the machine took, in order. */
  drawn: number[];
  value(): AccountStateValue;
  ctx(): AccountContext;
  send(event: AccountMachineEvent): void;
  /** Move simulated time forward by `ms` (fires due timers). */
  advance(ms: number): void;
  now(): number;
}

/** A local failure to open (what an unreadable creds.json reports). */
export const CREDS_ERROR = { code: 'WAGATE_ERR_CREDS', message: 'Cannot read creds.json (EISDIR); fix it.', cause: 'EISDIR' } as const;

export const IDENTITY = { jid: '15550000001:3@s.whatsapp.net', e164: '+15550000001', name: 'Ada' };

export function startAccount(opts: HarnessOptions = {}): Harness {
  const clock = new TrackingClock();
  clock.set(T0);
  const draws = opts.draws ?? [0.5];
  const drawn: number[] = [];
  const random = (): number => {
    const r = draws[Math.min(drawn.length, draws.length - 1)] ?? 0.5;
    drawn.push(r);
    return r;
  };
  const h = { opens: [] as ConnectionMode[], closes: 0 };
  const connection = fromCallback<ConnectionActorEvent, ConnectionInput>(({ input }) => {
    h.opens.push(input.mode);
    return () => {
      h.closes += 1;
    };
  });
  const machine = createAccountMachine({ now: () => clock.now(), random }).provide({ actors: { connection } });
  const hasCreds = opts.hasCreds ?? true;
  const actor = createActor(machine, {
    clock,
    ...(opts.inspect ? { inspect: opts.inspect } : {}),
    input: {
      accountId: 'acc1',
      reconnect: opts.reconnect ?? {},
      heartbeatSeconds: opts.heartbeatSeconds ?? 60,
    },
  });
  actor.start();
  if (opts.start ?? true) actor.send({ type: 'START', linked: hasCreds });
  return {
    actor,
    clock,
    get opens() {
      return h.opens;
    },
    get closes() {
      return h.closes;
    },
    hasCreds,
    drawn,
    value: () => accountStateOf(actor.getSnapshot().value),
    ctx: () => actor.getSnapshot().context,
    send: (event) => actor.send(event),
    advance: (ms) => clock.increment(ms),
    now: () => clock.now(),
  };
}
