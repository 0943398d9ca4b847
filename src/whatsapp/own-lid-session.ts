/**
 * Baileys' own-LID work after a login, made visible.
 *
 * When WhatsApp's `<success>` carries our LID, Baileys (rc14, socket.js) stores our
 * LID↔PN mapping, our device list and migrates our own Signal session to the LID —
 * from a `process.nextTick` continuation that nobody can await, after the connection
 * already reported `open`, and that can outlive the socket. A store closed before it
 * lands loses those keys, and the gateway then cannot decrypt what is sent to the LID.
 *
 * Its only outward sign of completion is its log line ("Own LID session created
 * successfully" or "Failed to create own LID session"), so this watches Baileys' logger
 * for it, whatever the log level. `settled(maxMs)` resolves once the work ended, at
 * once when none is pending, or after `maxMs` (a Baileys that no longer logs it, or a
 * connection closed before the work began, must not hold a close for ever).
 */
import type { Logger } from 'pino';

/** Baileys' logger interface (its `ILogger`). */
export interface BaileysLogger {
  level: string;
  child(obj: Record<string, unknown>): BaileysLogger;
  trace(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

/** Baileys rc14's log messages that end its own-LID work (socket.js, `CB:success`). */
export const OWN_LID_DONE = 'Own LID session created successfully';
export const OWN_LID_FAILED = 'Failed to create own LID session';

export class OwnLidSession {
  private pending = false;
  private waiters: (() => void)[] = [];

  /** WhatsApp's `<success>` arrived: Baileys starts the work when it names our LID and we have an identity. */
  started(lid: string | undefined, meId: string | undefined): void {
    if (lid && meId) this.pending = true;
  }

  /** Baileys said the work ended (either way). */
  ended(): void {
    this.pending = false;
    const ws = this.waiters;
    this.waiters = [];
    ws.forEach((w) => w());
  }

  get isPending(): boolean {
    return this.pending;
  }

  settled(maxMs: number): Promise<void> {
    if (!this.pending) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      }, maxMs);
      this.waiters.push(done);
    });
  }

  /**
   * `log` as Baileys' logger that also reports the end of the own-LID work to this
   * object, at any level (the line itself is still logged only when `log`'s level allows).
   */
  watch(log: Logger): BaileysLogger {
    return new WatchedLogger(log, this);
  }
}

/** Baileys' logger over ours, reporting the end of the own-LID work (methods on the prototype: one small object per logger). */
class WatchedLogger implements BaileysLogger {
  constructor(
    private readonly log: Logger,
    private readonly session: OwnLidSession,
  ) {}

  get level(): string {
    return this.log.level;
  }

  child(obj: Record<string, unknown>): BaileysLogger {
    return new WatchedLogger(this.log.child(obj), this.session);
  }

  trace(obj: unknown, msg?: string): void {
    this.log.trace(obj as object, msg);
  }

  debug(obj: unknown, msg?: string): void {
    this.log.debug(obj as object, msg);
  }

  info(obj: unknown, msg?: string): void {
    this.seen(obj, msg);
    this.log.info(obj as object, msg);
  }

  warn(obj: unknown, msg?: string): void {
    this.log.warn(obj as object, msg);
  }

  error(obj: unknown, msg?: string): void {
    this.seen(obj, msg);
    this.log.error(obj as object, msg);
  }

  private seen(obj: unknown, msg?: string): void {
    const text = typeof obj === 'string' ? obj : msg;
    if (this.session.isPending && (text === OWN_LID_DONE || text === OWN_LID_FAILED)) this.session.ended();
  }
}
