/**
 * A deliberately plain reference model of SPEC §3, written from the spec and not
 * from the machine: the property tests run both side by side and compare.
 */
import type { AccountStateValue, ConnectionMode, ReconnectPolicy } from '../../machines/index.js';

export type Command =
  | { kind: 'START' | 'LOGIN' | 'QR' | 'OPEN' | 'RECONNECT' | 'LOGOUT' | 'STOP' }
  | { kind: 'CLOSE'; code: number }
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
    hasCreds: boolean,
    now: number,
  ) {
    this.s = { value: 'unlinked', linked: hasCreds, attempt: 0, now, opens: [], retryAt: null, stableAt: null, draws: 0 };
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
        if (s.value === 'unlinked' && s.linked) this.go('connecting');
        return;
      case 'LOGIN':
        if (s.value === 'unlinked' || s.value === 'logged-out' || s.value === 'degraded') {
          s.linked = false;
          s.attempt = 0;
          this.go('linking');
        }
        return;
      case 'QR':
        return;
      case 'OPEN':
        if (s.value === 'linking' || s.value === 'connecting') {
          s.linked = true;
          this.go('connected');
        }
        return;
      case 'CLOSE':
        return this.close(cmd.code, draw);
      case 'RECONNECT':
        if (s.value === 'degraded' && s.linked) {
          s.attempt = 0;
          this.go('connecting');
        }
        return;
      case 'LOGOUT':
        s.linked = false;
        s.attempt = 0;
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

  private close(code: number, draw: () => number): void {
    const s = this.s;
    if (!SOCKET_STATES.has(s.value) || code === 0) return;
    if (code === 515) {
      s.linked = true;
      return this.go('connecting');
    }
    if (LOGGED_OUT.has(code)) return this.go('logged-out');
    if (DEGRADING.has(code)) return this.go('degraded');
    if (s.value === 'linking') return this.go('unlinked');
    if (this.policy.maxAttempts > 0 && s.attempt >= this.policy.maxAttempts) return this.go('degraded');
    s.attempt += 1;
    this.go('backing-off');
    s.draws += 1;
    s.retryAt = s.now + specDelay(this.policy, s.attempt, draw());
  }

  private go(value: AccountStateValue): void {
    const s = this.s;
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
