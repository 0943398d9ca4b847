/**
 * The connection watchdog (SPEC §3): when a connected transport has been silent
 * (no frame, no keep-alive answer) for `timeoutMs`, it fires once; the connection
 * actor (connection-actor.ts, one per connection) then ends its connection with a
 * `stalled` close and the machine backs off. It is armed when its connection opens
 * and disarmed when it closes or its actor stops, so a stale deadline can never fire
 * after a reconnect, and it fires at most once per connection.
 */
export interface TimerClock {
  setTimeout(fn: (...args: unknown[]) => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

const realClock: TimerClock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};

/** Default silence before the watchdog forces a reconnect: 3× Baileys' 30 s keep-alive. */
export const DEFAULT_WATCHDOG_MS = 90_000;

export class Watchdog {
  private timer: unknown = null;
  private armed = false;
  /** How many times it fired (debug dump). */
  fired = 0;

  constructor(
    private readonly timeoutMs: number,
    private readonly onSilent: (silentMs: number) => void,
    private readonly clock: TimerClock = realClock,
  ) {}

  /** A connection opened: start a full, fresh period. */
  arm(): void {
    this.armed = true;
    this.restart();
  }

  /** Something arrived from the server: the period starts again. */
  feed(): void {
    if (this.armed) this.restart();
  }

  /** The connection closed (or we stop): nothing may fire until the next arm(). */
  disarm(): void {
    this.armed = false;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  isArmed(): boolean {
    return this.armed;
  }

  private restart(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      if (!this.armed) return;
      this.armed = false; // once per connection
      this.fired += 1;
      this.onSilent(this.timeoutMs);
    }, this.timeoutMs);
  }
}
