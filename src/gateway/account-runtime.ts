/**
 * One account at run time: the pure account machine (machines/) given real
 * effects, wired to that account's transport. It owns the one live Connection,
 * translates connection events into machine events, publishes state changes on
 * the bus, and keeps the last 50 transitions for `wagate debug dump`.
 */
import { createActor, type Actor, type ActorOptions, type AnyActorLogic } from 'xstate';

/** xstate's timer clock (not exported by name). */
export type Clock = NonNullable<ActorOptions<AnyActorLogic>['clock']>;
import type { Logger } from 'pino';
import { createAccountMachine, type AccountContext } from '../../machines/index.js';
import type { Bus } from '../bus/bus.js';
import type { AccountStateName } from '../bus/events.js';
import { WagateError } from '../errors.js';
import { longTimerClock } from '../timers.js';
import { DEFAULT_WATCHDOG_MS, Watchdog, type TimerClock } from './watchdog.js';
import type { AccountTransport, Connection, ConnectionEvent, ConnectMode } from '../ports/transport.js';

export const TRANSITION_HISTORY = 50;

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

type AccountActor = Actor<ReturnType<typeof createAccountMachine>>;

export class AccountRuntime {
  readonly accountId: string;
  private readonly actor: AccountActor;
  private connection: Connection | null = null;
  private readonly history: Transition[] = [];
  private readonly now: () => number;
  private lastActivityAt: number | null = null;
  /** When this run's first connection opened; null if none opened yet. */
  firstOpenAt: number | null = null;
  private stopped = false;
  /** Settles when the last connection we closed has finished closing. */
  private closing: Promise<void> = Promise.resolve();
  private readonly watchdog: Watchdog;

  constructor(private readonly opts: AccountRuntimeOptions) {
    this.accountId = opts.accountId;
    this.now = opts.now ?? Date.now;
    const clock = opts.clock ?? longTimerClock;
    this.watchdog = new Watchdog(opts.watchdogMs ?? DEFAULT_WATCHDOG_MS, (ms) => this.onSilent(ms), clock as TimerClock);
    const machine = createAccountMachine({ now: this.now, random: opts.random ?? Math.random }).provide({
      actions: {
        openConnection: (_args, params: { mode: ConnectMode }) => this.open(params.mode),
        closeConnection: () => void this.closeCurrent('closed by the gateway'),
      },
    });
    let prev: AccountStateName | null = null;
    this.actor = createActor(machine, {
      clock,
      input: {
        accountId: opts.accountId,
        hasCreds: false,
        reconnect: opts.reconnect,
        heartbeatSeconds: opts.heartbeatSeconds,
      },
      inspect: (ev) => {
        if (ev.type !== '@xstate.snapshot' || ev.actorRef !== this.actor) return;
        const to = (ev.snapshot as unknown as { value: AccountStateName }).value;
        const from = prev ?? to;
        this.record({ at: this.now(), event: ev.event.type, from, to });
        if (to !== prev) this.publish(prev, to);
        prev = to;
      },
    });
  }

  /** Start the machine: with saved creds it connects at once, otherwise it waits unlinked. */
  async start(): Promise<void> {
    const hasCreds = await this.opts.transport.hasCreds();
    this.actor.start();
    this.actor.send({ type: 'START', hasCreds });
  }

  get state(): AccountStateName {
    return this.actor.getSnapshot().value as AccountStateName;
  }

  get context(): AccountContext {
    return this.actor.getSnapshot().context;
  }

  /** Ask for a QR link (`wagate channels login`). */
  login(): void {
    this.actor.send({ type: 'LOGIN' });
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
    const conn = this.state === 'connected' ? this.connection : null;
    if (conn) {
      // Tell WhatsApp first, so the phone's Linked Devices list drops this device.
      try {
        await conn.unlink();
      } catch (err) {
        this.opts.logger.warn({ err: (err as Error).message }, 'WhatsApp did not confirm removing the device; removing the local state anyway');
      }
    }
    this.actor.send({ type: 'LOGOUT' });
    await this.closing; // no socket may write auth files while they are removed
    return this.opts.transport.logout();
  }

  /** The live connection, only while connected. */
  activeConnection(): Connection {
    if (this.state !== 'connected' || !this.connection) {
      throw new WagateError(
        'WAGATE_ERR_NO_LISTENER',
        `No active WhatsApp listener for account ${this.accountId} (state: ${this.state}); start the gateway and link the account.`,
      );
    }
    return this.connection;
  }

  transitions(): Transition[] {
    return [...this.history];
  }

  lastActivity(): number | null {
    return this.lastActivityAt;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.watchdog.disarm();
    this.actor.send({ type: 'STOP' });
    this.actor.stop();
    await this.closeCurrent('gateway stopping');
  }

  private open(mode: ConnectMode): void {
    void this.closeCurrent('replaced by a new connection attempt');
    const log = this.opts.logger;
    log.info({ mode }, mode === 'link' ? 'opening a connection to link by QR' : 'connecting with saved creds');
    const conn: Connection = this.opts.transport.connect(mode, (ev) => this.onConnectionEvent(conn, ev));
    this.connection = conn;
  }

  private onConnectionEvent(conn: Connection, ev: ConnectionEvent): void {
    if (ev.type === 'messages') {
      // Messages are never dropped, even from a connection being replaced or closed:
      // WhatsApp already has our delivery receipt and will not send them again.
      for (const message of ev.messages) this.opts.bus.emit('message.received', { accountId: this.accountId, message });
      return;
    }
    if (conn !== this.connection) return; // a replaced connection's late lifecycle events
    const at = this.now();
    switch (ev.type) {
      case 'activity':
        this.lastActivityAt = ev.at;
        this.watchdog.feed();
        return;
      case 'qr':
        this.actor.send({ type: 'QR', qr: ev.qr });
        this.opts.bus.emit('account.qr.updated', { accountId: this.accountId, qr: ev.qr, count: this.context.qrCount, at });
        return;
      case 'open':
        this.lastActivityAt = at;
        this.firstOpenAt ??= at;
        this.watchdog.arm();
        this.actor.send({ type: 'OPEN', identity: ev.identity });
        this.opts.bus.emit('account.connected', { accountId: this.accountId, identity: ev.identity, at });
        return;
      case 'close':
        this.connection = null;
        this.watchdog.disarm();
        this.opts.bus.emit('account.disconnected', { accountId: this.accountId, code: ev.code, reason: ev.reason, at });
        this.actor.send({ type: 'CLOSE', code: ev.code, reason: ev.reason });
        return;
    }
  }

  /** The watchdog fired: drop the silent connection and let the machine back off and retry. */
  private onSilent(silentMs: number): void {
    const conn = this.connection;
    if (!conn || this.state !== 'connected') return;
    const reason = `watchdog: no frame from WhatsApp for ${Math.round(silentMs / 1000)} s`;
    this.opts.logger.warn({ silentMs }, `${reason}; forcing a reconnect`);
    this.connection = null; // its own late close event is ignored
    this.closing = Promise.all([this.closing, conn.close(reason).catch(() => undefined)]).then(() => undefined);
    const at = this.now();
    this.opts.bus.emit('account.disconnected', { accountId: this.accountId, code: 408, reason, at });
    this.actor.send({ type: 'CLOSE', code: 408, reason });
  }

  watchdogFired(): number {
    return this.watchdog.fired;
  }

  private closeCurrent(reason: string): Promise<void> {
    const conn = this.connection;
    this.connection = null;
    if (!conn) return this.closing;
    const closed = conn.close(reason).catch((err: unknown) => {
      this.opts.logger.warn({ err }, 'closing the connection failed');
    });
    this.closing = Promise.all([this.closing, closed]).then(() => undefined);
    return this.closing;
  }

  private record(t: Transition): void {
    this.history.push(t);
    if (this.history.length > TRANSITION_HISTORY) this.history.shift();
  }

  private publish(from: AccountStateName | null, to: AccountStateName): void {
    const ctx = this.context;
    const log = this.opts.logger;
    const fields = { from, to, attempt: ctx.attempt, lastClose: ctx.lastClose, nextRetryAt: ctx.nextRetryAt };
    if (to === 'logged-out' || to === 'degraded') log.error({ ...fields, error: ctx.error }, `account ${to}: ${ctx.error?.message ?? ''}`);
    else log.info(fields, `account ${from ?? 'new'} → ${to}`);
    this.opts.bus.emit('account.state.changed', {
      accountId: this.accountId,
      from,
      to,
      attempt: ctx.attempt,
      nextRetryAt: ctx.nextRetryAt,
      lastClose: ctx.lastClose,
      error: ctx.error,
      at: this.now(),
    });
  }
}
