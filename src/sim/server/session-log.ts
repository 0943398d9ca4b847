/**
 * What the simulator saw of each account's logged-in connections, for tests and
 * benchmarks that check who was connected when (the cluster's failover, issue 16):
 *
 * - one `SimSessionRecord` per successful login: when it logged in, when the server
 *   ended it with a stream error (and which), when its socket closed, and what the
 *   client sent on it after the server had ended it (a stale socket: a node that was
 *   paused and woke up);
 * - every conflict stream error sent (440 `replaced`, 401 `device_removed`), with why;
 * - the most logged-in sockets an account ever had open at once (`maxLive`): 2 means
 *   two live connections of one account met, whether or not the server had already
 *   ended the older one.
 *
 * Times are the server's clock (`now`, ms).
 */
import type { SimConnection } from './connection.js';

export interface SimSessionRecord {
  user: string;
  /** When the login succeeded. */
  loginAt: number;
  /** When the server ended the session with a stream error, and its code. */
  endedAt?: number;
  endCode?: number;
  /** When the socket closed (either side). */
  closedAt?: number;
  /** Stanzas the client sent after the server ended the session, counted by tag. */
  afterEnd: Record<string, number>;
  /** Every stanza the client sent on this session, ended or not. */
  stanzas: number;
}

export interface SimConflict {
  user: string;
  at: number;
  code: 401 | 440;
  /** `replaced`: another login with the same creds; `kick`: `kick(user, code)`; `relink`: the number was linked again; `logout`: the device unlinked itself. */
  why: 'replaced' | 'kick' | 'relink' | 'logout';
}

export class SessionLog {
  private readonly byConn = new Map<SimConnection, SimSessionRecord>();
  private readonly byUser = new Map<string, SimSessionRecord[]>();
  private readonly live = new Map<string, number>();
  private readonly maxLive = new Map<string, number>();
  readonly conflicts: SimConflict[] = [];

  constructor(private readonly now: () => number) {}

  login(user: string, conn: SimConnection): void {
    const rec: SimSessionRecord = { user, loginAt: this.now(), afterEnd: {}, stanzas: 0 };
    this.byConn.set(conn, rec);
    const list = this.byUser.get(user) ?? [];
    list.push(rec);
    this.byUser.set(user, list);
    const n = (this.live.get(user) ?? 0) + 1;
    this.live.set(user, n);
    this.maxLive.set(user, Math.max(n, this.maxLive.get(user) ?? 0));
  }

  /** The server ended `conn`'s session with stream error `code`. */
  ended(conn: SimConnection, code: number, why: SimConflict['why']): void {
    const rec = this.byConn.get(conn);
    if (rec && rec.endedAt === undefined) {
      rec.endedAt = this.now();
      rec.endCode = code;
    }
    if (rec && (code === 440 || code === 401)) this.conflicts.push({ user: rec.user, at: this.now(), code, why });
  }

  /** A stanza arrived on `conn`: counted when its session was already ended. */
  stanza(conn: SimConnection, tag: string): void {
    const rec = this.byConn.get(conn);
    if (rec) rec.stanzas += 1;
    if (rec?.endedAt !== undefined) rec.afterEnd[tag] = (rec.afterEnd[tag] ?? 0) + 1;
  }

  closed(conn: SimConnection): void {
    const rec = this.byConn.get(conn);
    if (!rec || rec.closedAt !== undefined) return;
    rec.closedAt = this.now();
    this.live.set(rec.user, (this.live.get(rec.user) ?? 1) - 1);
  }

  sessions(user: string): SimSessionRecord[] {
    return (this.byUser.get(user) ?? []).map((r) => ({ ...r, afterEnd: { ...r.afterEnd } }));
  }

  maxLiveOf(user: string): number {
    return this.maxLive.get(user) ?? 0;
  }
}
