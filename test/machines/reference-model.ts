/**
 * A deliberately plain reference model of SPEC §3, written from the spec and not
 * from the machine: the property tests run both side by side and compare.
 */
import type { AccountStateValue, ConnectionMode, ReconnectPolicy } from '../../machines/index.js';
import type { ErrorCode } from '../../src/errors.js';

export type Command =
  | { kind: 'START' | 'LOGIN' | 'QR' | 'OPEN' | 'RECONNECT' | 'LOGOUT' | 'STOP' }
  /** START after the creds could not be read. */
  | { kind: 'START-unreadable' }
  | { kind: 'CLOSE'; code: number }
  /** The connection failed locally (unreadable creds while opening). */
  | { kind: 'CLOSE-failed' }
  /** The watchdog gave up on a silent connection. */
  | { kind: 'CLOSE-stalled' }
  /** Jump exactly to the pending retry (no-op when none is pending). */
  | { kind: 'retry-timer' }
  /** Stay connected for heartbeatSeconds (no-op unless connected). */
  | { kind: 'stable' }
  /** Let arbitrary time pass. */
  | { kind: 'time'; ms: number };

export interface ModelState {
  value: AccountStateValue;
  linked: boolean;
  attempt: number;
  now: number;
  opens: ConnectionMode[];
  /** Sockets released: every connection opened is closed once it is left behind. */
  closes: number;
  /** The code of the error the account shows (null when healthy). */
  error: ErrorCode | null;
  /** Pending retry time while backing-off. */
  retryAt: number | null;
  /** When the connection counts as stable while connected (null once it has). */
  stableAt: number | null;
  /** How many random draws the machine should have taken. */
  draws: number;
}

/** What the spec says the policy produces; `r` is the draw for this attempt. */
export function specDelay(p: ReconnectPolicy, attempt: number, r: number): number {
  const base = p.initialMs * p.factor ** (attempt - 1);
  return Math.min(p.maxMs, Math.round(base + base * p.jitter * r));
}

const LOGGED_OUT = new Set([401, 402, 403, 406]);
const DEGRADING = new Set([405, 440]);
const SOCKET_STATES = new Set<AccountStateValue>(['linking', 'connecting', 'connected']);

export class ReferenceModel {
  s: ModelState;

  constructor(
    readonly policy: ReconnectPolicy,
    readonly heartbeatMs: number,
    /** What START finds on disk. */
    readonly hasCreds: boolean,
    now: number,
  ) {
    this.s = { value: 'unlinked', linked: false, attempt: 0, now, opens: [], closes: 0, error: null, retryAt: null, stableAt: null, draws: 0 };
  }

  /** Apply a command; `draw` returns the random value the machine drew for a retry. */
  apply(cmd: Command, draw: () => number): void {
    const s = this.s;
    if (s.value === 'stopped') {
      if (cmd.kind === 'time') s.now += cmd.ms;
      return;
    }
    switch (cmd.kind) {
      case 'START':
        if (s.value !== 'unlinked') return;
        s.linked = this.hasCreds;
        if (s.linked) this.go('connecting');
        return;
      case 'START-unreadable':
        if (s.value !== 'unlinked') return;
        s.linked = false;
        s.error = 'WAGATE_ERR_CREDS';
        return this.go('degraded');
      case 'LOGIN':
        if (s.value === 'unlinked' || s.value === 'logged-out' || s.value === 'degraded') {
          s.linked = false;
          s.attempt = 0;
          s.error = null;
          this.go('linking');
        }
        return;
      case 'QR':
        return;
      case 'OPEN':
        if (s.value === 'linking' || s.value === 'connecting') {
          s.linked = true;
          s.error = null;
          this.go('connected', { keepSocket: true });
        }
        return;
      case 'CLOSE':
        return this.close(cmd.code, draw);
      case 'CLOSE-failed':
        if (!SOCKET_STATES.has(s.value)) return;
        s.error = 'WAGATE_ERR_CREDS';
        return this.go('degraded');
      case 'CLOSE-stalled':
        return this.close(null, draw);
      case 'RECONNECT':
        if (s.value === 'degraded' && s.linked) {
          s.attempt = 0;
          s.error = null;
          this.go('connecting');
        }
        return;
      case 'LOGOUT':
        s.linked = false;
        s.attempt = 0;
        s.error = null;
        return this.go('unlinked');
      case 'STOP':
        return this.go('stopped');
      case 'retry-timer':
        if (s.retryAt !== null) this.advanceTo(s.retryAt);
        return;
      case 'stable':
        if (s.value === 'connected') this.advanceTo(s.now + this.heartbeatMs);
        return;
      case 'time':
        return this.advanceTo(s.now + cmd.ms);
    }
  }

  /** A close with WhatsApp's code, or (null) a stall. */
  private close(code: number | null, draw: () => number): void {
    const s = this.s;
    if (!SOCKET_STATES.has(s.value) || code === 0) return;
    if (code === 515) {
      s.linked = true;
      return this.go('connecting');
    }
    if (code !== null && LOGGED_OUT.has(code)) {
      s.error = 'WAGATE_ERR_LOGGED_OUT';
      return this.go('logged-out');
    }
    if (code !== null && DEGRADING.has(code)) {
      s.error = code === 440 ? 'WAGATE_ERR_CONFLICT' : 'WAGATE_ERR_OUTDATED';
      return this.go('degraded');
    }
    if (s.value === 'linking') {
      s.error = code === 408 ? 'WAGATE_ERR_LOGIN_TIMEOUT' : 'WAGATE_ERR_NOT_LINKED';
      return this.go('unlinked');
    }
    if (this.policy.maxAttempts > 0 && s.attempt >= this.policy.maxAttempts) {
      s.error = 'WAGATE_ERR_GAVE_UP';
      return this.go('degraded');
    }
    s.attempt += 1;
    this.go('backing-off');
    s.draws += 1;
    s.retryAt = s.now + specDelay(this.policy, s.attempt, draw());
  }

  /** Move to `value`; a socket state left behind (or re-entered) closes its socket unless it is kept (OPEN). */
  private go(value: AccountStateValue, opts: { keepSocket?: boolean } = {}): void {
    const s = this.s;
    if (SOCKET_STATES.has(s.value) && !opts.keepSocket) s.closes += 1;
    s.value = value;
    s.retryAt = null;
    s.stableAt = value === 'connected' ? s.now + this.heartbeatMs : null;
    if (value === 'connecting') s.opens.push('resume');
    if (value === 'linking') s.opens.push('link');
  }

  private advanceTo(t: number): void {
    const s = this.s;
    if (s.retryAt !== null && s.retryAt <= t) {
      s.now = s.retryAt;
      this.go('connecting');
    }
    if (s.stableAt !== null && s.stableAt <= t) {
      s.attempt = 0;
      s.stableAt = null;
    }
    s.now = t;
  }
}
