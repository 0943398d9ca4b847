/**
 * One account at run time: the pure account machine (machines/) given its real
 * effect — the connection actor (connection-actor.ts), which owns one socket for
 * as long as the machine is `online` — wired to that account's transport. It
 * translates the machine's transitions into bus events and keeps the last 50
 * transitions for `wagate debug dump`.
 */
import type { Logger } from 'pino';
import { createActor, type Actor, type ActorOptions, type AnyActorLogic } from 'xstate';
import {
  accountStateOf,
  classifyEnd,
  type AccountContext,
  type AccountMachine,
  type AccountMachineEvent,
} from '../../machines/index.js';
import type { Bus } from '../bus/bus.js';
import type { AccountStateName } from '../bus/events.js';
import { isWagateError, WagateError, type ErrorInfo } from '../errors.js';
import type { AccountTransport, Connection, WebVersionInUse } from '../ports/transport.js';
import { longTimerClock } from '../timers.js';
import { connectionCallback, newConnectionTracker, type ConnectionTracker } from './connection-actor.js';
import { bindConnection, sharedAccountMachine } from './shared-account-machine.js';
import { DEFAULT_WATCHDOG_MS, type TimerClock } from './watchdog.js';

/** xstate's timer clock (not exported by name). */
export type Clock = NonNullable<ActorOptions<AnyActorLogic>['clock']>;

export const TRANSITION_HISTORY = 50;

/** The states in which a connection actor runs (the machine's `online`). */
const ONLINE = new Set<AccountStateName>(['linking', 'connecting', 'connected']);

export interface Transition {
  at: number;
  event: string;
  from: AccountStateName;
  to: AccountStateName;
}

export interface AccountRuntimeOptions {
  accountId: string;
  transport: AccountTransport;
  bus: Bus;
  logger: Logger;
  heartbeatSeconds: number;
  reconnect: Record<string, number | undefined>;
  now?: () => number;
  random?: () => number;
  /** xstate clock for the machine's delays and the watchdog (tests pass a SimulatedClock). */
  clock?: Clock;
  /** Silence after which the watchdog forces a reconnect (default 90 s). */
  watchdogMs?: number;
}

export class AccountRuntime {
  readonly accountId: string;
  private readonly actor: Actor<AccountMachine>;
  private readonly track: ConnectionTracker = newConnectionTracker();
  private readonly history: Transition[] = [];
  private readonly now: () => number;
  private stopped = false;

  constructor(private readonly opts: AccountRuntimeOptions) {
    this.accountId = opts.accountId;
    this.now = opts.now ?? Date.now;
    const clock = opts.clock ?? longTimerClock;
    const connection = connectionCallback({
      accountId: opts.accountId,
      transport: opts.transport,
      bus: opts.bus,
      logger: opts.logger,
      clock: clock as TimerClock,
      watchdogMs: opts.watchdogMs ?? DEFAULT_WATCHDOG_MS,
      now: this.now,
      track: this.track,
    });
    // One machine shared by every account (shared-account-machine.ts); this account's connection code is bound to its actor's system.
    const machine = sharedAccountMachine(this.now, opts.random ?? Math.random);
    let prev: AccountStateName | null = null;
    this.actor = createActor(machine, {
      clock,
      input: { accountId: opts.accountId, reconnect: opts.reconnect, heartbeatSeconds: opts.heartbeatSeconds },
      inspect: (ev) => {
        if (ev.type !== '@xstate.snapshot' || ev.actorRef !== this.actor) return;
        const to = accountStateOf((ev.snapshot as ReturnType<typeof this.actor.getSnapshot>).value);
        const from = prev ?? to;
        this.record({ at: this.now(), event: ev.event.type, from, to });
        this.announce(ev.event as AccountMachineEvent, from);
        if (to !== prev) this.publish(prev, to);
        prev = to;
      },
    });
    bindConnection(this.actor.system, connection);
  }

  /**
   * Start the machine with what is on disk: saved creds connect at once, none wait
   * unlinked, and creds that cannot be read put this account (only) in `degraded`
   * with the error and its fix. Never throws for one account's creds.
   */
  async start(): Promise<void> {
    const start = await this.readCreds();
    this.actor.start();
    this.actor.send(start);
  }

  private async readCreds(): Promise<AccountMachineEvent> {
    try {
      return { type: 'START', linked: await this.opts.transport.hasCreds() };
    } catch (err) {
      const error: ErrorInfo = isWagateError(err)
        ? err.toInfo()
        : new WagateError(
            'WAGATE_ERR_CREDS',
            `Cannot read the saved creds of account ${this.accountId} (${(err as Error)?.message ?? String(err)}); see \`wagate doctor\`.`,
            { cause: err },
          ).toInfo();
      this.opts.logger.error({ code: error.code, cause: error.cause }, `cannot start the account: ${error.message}`);
      return { type: 'START', error };
    }
  }

  get state(): AccountStateName {
    return accountStateOf(this.actor.getSnapshot().value);
  }

  get context(): AccountContext {
    return this.actor.getSnapshot().context;
  }

  /** Ask for a QR link (`wagate channels login`), or a pairing-code link for `phone` (E.164). */
  login(phone?: string): void {
    this.actor.send(phone ? { type: 'LOGIN', phone } : { type: 'LOGIN' });
  }

  /** Give up a QR link nobody scanned: close its connection and go back to unlinked. */
  cancelLogin(): void {
    if (this.state === 'linking') this.actor.send({ type: 'LOGOUT' });
  }

  /** Leave `degraded` (the user fixed the cause). */
  reconnect(): void {
    this.actor.send({ type: 'RECONNECT' });
  }

  async logout(): Promise<string[]> {
    const conn = this.state === 'connected' ? this.track.current : null;
    if (conn) {
      // Tell WhatsApp first, so the phone's Linked Devices list drops this device.
      try {
        await conn.unlink();
      } catch (err) {
        this.opts.logger.warn({ err: (err as Error).message }, 'WhatsApp did not confirm removing the device; removing the local state anyway');
      }
    }
    this.actor.send({ type: 'LOGOUT' });
    await this.track.closing; // no socket may write auth files while they are removed
    return this.opts.transport.logout();
  }

  /** The live connection, only while connected. */
  /** The WhatsApp Web version the account's latest connection announced, and its source; null when unknown. */
  webVersion(): WebVersionInUse | null {
    return this.opts.transport.webVersion?.() ?? null;
  }

  activeConnection(): Connection {
    const conn = this.track.current;
    if (this.state !== 'connected' || !conn) {
      throw new WagateError(
        'WAGATE_ERR_NO_LISTENER',
        `No active WhatsApp listener for account ${this.accountId} (state: ${this.state}); start the gateway and link the account.`,
      );
    }
    return conn;
  }

  transitions(): Transition[] {
    return [...this.history];
  }

  /** When the last frame arrived from WhatsApp (web-heartbeat). */
  lastActivity(): number | null {
    return this.track.lastFrameAt;
  }

  watchdogFired(): number {
    return this.track.watchdogFired;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.actor.send({ type: 'STOP' });
    this.actor.stop();
    await this.track.closing;
  }

  private record(t: Transition): void {
    this.history.push(t);
    if (this.history.length > TRANSITION_HISTORY) this.history.shift();
  }

  /** Bus events for what the connection reported (QR, a close); state changes are `publish`'s. */
  private announce(event: AccountMachineEvent, from: AccountStateName): void {
    const at = this.now();
    if (event.type === 'QR' && from === 'linking') {
      this.opts.bus.emit('account.qr.updated', { accountId: this.accountId, qr: event.qr, count: this.context.qrCount, at });
    }
    if (event.type === 'CODE' && from === 'linking') {
      this.opts.bus.emit('account.pairing.code', { accountId: this.accountId, code: formatPairingCode(event.code), phone: this.context.linkPhone, at });
    }
    if (event.type === 'CLOSE' && ONLINE.has(from)) {
      const { kind, error } = classifyEnd(event);
      this.opts.bus.emit('account.disconnected', { accountId: this.accountId, kind, code: event.code, reason: event.reason, error: error ?? null, at });
    }
  }

  private publish(from: AccountStateName | null, to: AccountStateName): void {
    const ctx = this.context;
    const log = this.opts.logger;
    const fields = { from, to, attempt: ctx.attempt, lastClose: ctx.lastClose, nextRetryAt: ctx.nextRetryAt };
    if (to === 'logged-out' || to === 'degraded') log.error({ ...fields, error: ctx.error }, `account ${to}: ${ctx.error?.message ?? ''}`);
    else log.info(fields, `account ${from ?? 'new'} → ${to}`);
    const at = this.now();
    this.opts.bus.emit('account.state.changed', {
      accountId: this.accountId,
      from,
      to,
      attempt: ctx.attempt,
      nextRetryAt: ctx.nextRetryAt,
      lastClose: ctx.lastClose,
      error: ctx.error,
      at,
    });
    if (to === 'connected' && ctx.identity) this.opts.bus.emit('account.connected', { accountId: this.accountId, identity: ctx.identity, at });
  }
}

/** `ABCD1234` → `ABCD-EFGH` style, as the phone shows its eight boxes in two groups. */
export function formatPairingCode(code: string): string {
  const c = code.replace(/[^0-9A-Za-z]/g, '').toUpperCase();
  return c.length === 8 ? `${c.slice(0, 4)}-${c.slice(4)}` : c;
}
