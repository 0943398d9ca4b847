/**
 * Test harness for the account machine: a SimulatedClock that can tell whether any
 * timer is still pending, recorded effects, and a scripted random source.
 */
import { createActor, SimulatedClock, type Actor, type InspectionEvent } from 'xstate';
import {
  createAccountMachine,
  type AccountContext,
  type AccountMachine,
  type AccountMachineEvent,
  type AccountStateValue,
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
  /** Every openConnection call, in order. */
  opens: ConnectionMode[];
  /** Number of closeConnection calls. */
  closes: number;
  /** Every random draw the machine took, in order. */
  drawn: number[];
  value(): AccountStateValue;
  ctx(): AccountContext;
  send(event: AccountMachineEvent): void;
  /** Move simulated time forward by `ms` (fires due timers). */
  advance(ms: number): void;
  now(): number;
}

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
  const machine = createAccountMachine({ now: () => clock.now(), random }).provide({
    actions: {
      openConnection: (_args, params) => {
        h.opens.push(params.mode);
      },
      closeConnection: () => {
        h.closes += 1;
      },
    },
  });
  const actor = createActor(machine, {
    clock,
    ...(opts.inspect ? { inspect: opts.inspect } : {}),
    input: {
      accountId: 'acc1',
      hasCreds: opts.hasCreds ?? true,
      reconnect: opts.reconnect ?? {},
      heartbeatSeconds: opts.heartbeatSeconds ?? 60,
    },
  });
  actor.start();
  if (opts.start ?? true) actor.send({ type: 'START' });
  return {
    actor,
    clock,
    get opens() {
      return h.opens;
    },
    get closes() {
      return h.closes;
    },
    drawn,
    value: () => actor.getSnapshot().value as AccountStateValue,
    ctx: () => actor.getSnapshot().context,
    send: (event) => actor.send(event),
    advance: (ms) => clock.increment(ms),
    now: () => clock.now(),
  };
}
