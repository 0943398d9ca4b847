/**
 * One node of several on one PostgreSQL (`cluster` in the config, issue 16): which
 * accounts run here. Every round (every `leaseSeconds / 3`, and also the moment another
 * node's heartbeat goes stale, so a killed node's accounts move within the lease) the keeper
 *
 * 1. stops, without asking the database, every account whose lease ran out by this
 *    node's own clock (a node that was paused — GC, SIGSTOP — wakes up here);
 * 2. records its heartbeat and renews its leases; an account whose lease was not
 *    renewed (another node took it) is stopped at once; when the database cannot be
 *    reached, an account is stopped once its lease would run out before the next round;
 * 3. spreads the accounts fairly: its share is ⌈accounts ÷ live nodes⌉ (a live node
 *    has a heartbeat younger than `leaseSeconds`), at most `capacity`. Above it, it
 *    gives accounts back (socket closed first, then the lease released); below it, it
 *    takes free or expired leases (each take adds one to the account's token).
 *
 * `fence` is the store's write check (postgres.ts `fence`): a write of an account is
 * refused unless this node holds its lease, still valid by its clock, and the row still
 * has this node's token (read FOR SHARE in the write's transaction). A refusal means the
 * account was lost: it is stopped here at once (WAGATE_ERR_LEASE_LOST to the writer).
 *
 * `stop()` (SIGTERM): no more taking; `release()` after the accounts' sockets closed
 * gives every lease back at once and removes the heartbeat, so other nodes take the
 * accounts on their next round rather than after expiry.
 */
import { AsyncResource } from 'node:async_hooks';
import type { Logger } from 'pino';
import { isWagateError, WagateError } from '../errors.js';
import { checkLease, leaseLostError, type HeldLease, type LeaseTable } from '../store/postgres-leases.js';
import type { Queryable } from '../store/postgres-runner.js';

export interface LeaseKeeperOptions {
  nodeId: string;
  capacity: number;
  leaseSeconds: number;
  leases: LeaseTable;
  /** The accounts this cluster runs (enabled in the config), in a stable order. */
  accounts: readonly string[];
  /** Start the account here (its lease was just taken). */
  startAccount(accountId: string): Promise<void>;
  /** Stop the account here and close its socket (the lease is lost or being given back). */
  stopAccount(accountId: string, reason: string): Promise<void>;
  /** Accounts given back last when this node holds more than its share (one being linked). */
  busy?(accountId: string): boolean;
  logger: Logger;
  now?: () => number;
  timers?: { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(id: unknown): void };
  random?: () => number;
}

interface Held {
  token: number;
  /** Local deadline: the lease's expiry by this node's clock, less a safety margin. */
  validUntil: number;
}

export interface LeaseInfo {
  accountId: string;
  owner: string | null;
  token: number;
  expiresAt: number;
  /** True when this node runs it. */
  here: boolean;
}

/** A round for a stale node runs this long after its heartbeat went stale (clocks, the database's time). */
const STALE_MARGIN_MS = 50;

const realTimers = {
  setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms),
  clearTimeout: (id: unknown) => clearTimeout(id as ReturnType<typeof setTimeout>),
};

export class LeaseKeeper {
  private readonly held = new Map<string, Held>();
  private readonly now: () => number;
  private readonly timers: NonNullable<LeaseKeeperOptions['timers']>;
  private readonly leaseMs: number;
  readonly intervalMs: number;
  private timer: unknown = null;
  private closing = false;
  /** This node's fair share as of the last round (its capacity until the first). */
  private share: number;
  private round: Promise<void> = Promise.resolve();
  /** When the first other live node's heartbeat goes stale (seen + lease), as of the last round. */
  private staleAt: number | null = null;
  /** The context the keeper was made in: a loss found by a write is handled outside that write's transaction. */
  private readonly outside = new AsyncResource('wagate.lease-keeper');

  constructor(private readonly opts: LeaseKeeperOptions) {
    this.now = opts.now ?? Date.now;
    this.timers = opts.timers ?? realTimers;
    this.leaseMs = opts.leaseSeconds * 1000;
    this.intervalMs = Math.max(100, Math.floor(this.leaseMs / 3));
    this.share = opts.capacity;
  }

  get leaseSeconds(): number {
    return this.opts.leaseSeconds;
  }

  /** True when this node may take one more account now: below its fair share and its capacity. */
  hasRoom(): boolean {
    return !this.closing && this.held.size < Math.min(this.opts.capacity, this.share);
  }

  /**
   * Take a free or expired lease now, outside the rounds (linking an account no node
   * holds, issue 16 item 3), and start the account: its token, or null when this node
   * has no room or another node holds the lease. Runs between rounds, never during one.
   */
  takeNow(accountId: string): Promise<number | null> {
    const run = this.round.then(async () => {
      const mine = this.held.get(accountId);
      if (mine) return mine.token;
      if (!this.opts.accounts.includes(accountId)) {
        throw new WagateError('WAGATE_ERR_UNKNOWN_ACCOUNT', `Account ${accountId} is not enabled in node ${this.opts.nodeId}'s config; add it to every node's config (and restart them) first.`);
      }
      if (!this.hasRoom()) return null;
      await this.opts.leases.ensure([accountId]);
      const t = this.now();
      const token = await this.opts.leases.take(this.opts.nodeId, accountId, t, this.leaseMs);
      if (token === null) return null;
      this.held.set(accountId, { token, validUntil: this.validUntil(t) });
      this.opts.logger.info({ accountId, leaseToken: token }, 'took the lease of an account no node held, to link it');
      await this.opts.startAccount(accountId);
      return token;
    });
    this.round = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  get nodeId(): string {
    return this.opts.nodeId;
  }

  /** The accounts this node holds, with their tokens. */
  holding(): Map<string, number> {
    return new Map([...this.held].map(([id, h]) => [id, h.token]));
  }

  /** Create the lease rows and run the first round; later rounds run by themselves. */
  async start(): Promise<void> {
    await this.opts.leases.ensure(this.opts.accounts);
    await this.tick();
  }

  /** Run one round now (tests drive rounds through this with an injected clock). */
  tick(): Promise<void> {
    this.round = this.round.then(() => this.runRound());
    return this.round;
  }

  /** When the next round should run: every `intervalMs`, sooner when another node's heartbeat goes stale before that. */
  nextRoundInMs(): number {
    if (this.staleAt === null) return this.intervalMs;
    return Math.min(this.intervalMs, Math.max(STALE_MARGIN_MS, this.staleAt + STALE_MARGIN_MS - this.now()));
  }

  private schedule(): void {
    if (this.closing && this.held.size === 0) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, this.nextRoundInMs());
  }

  private async runRound(): Promise<void> {
    if (this.timer !== null) {
      this.timers.clearTimeout(this.timer);
      this.timer = null;
    }
    try {
      await this.doRound();
    } catch (err) {
      this.opts.logger.error({ err }, 'lease round failed');
    } finally {
      this.schedule();
    }
  }

  private async doRound(): Promise<void> {
    const { leases, nodeId, capacity, logger } = this.opts;
    const t0 = this.now();
    // 1. Leases that ran out by our own clock (a pause): stop before anything else.
    for (const [id, h] of this.held) if (h.validUntil <= t0) this.lose(id, 'its lease ran out before it could be renewed');
    // 2. Heartbeat and renewals.
    let renewed: Set<string>;
    const mine = this.heldList();
    try {
      await leases.heartbeat(nodeId, capacity, t0);
      renewed = await leases.renew(nodeId, mine, t0, this.leaseMs);
    } catch (err) {
      logger.warn({ err }, 'cannot renew the leases (database unreachable?)');
      for (const [id, h] of this.held) if (h.validUntil <= this.now() + this.intervalMs) this.lose(id, 'its lease could not be renewed in time');
      return;
    }
    for (const l of mine) {
      const h = this.held.get(l.accountId);
      if (!h || h.token !== l.token) continue;
      if (renewed.has(l.accountId)) h.validUntil = this.validUntil(t0);
      else this.lose(l.accountId, 'another node took its lease');
    }
    if (this.closing) return;
    // 3. Fair share.
    const others = (await leases.liveNodes(t0, this.leaseMs)).filter((n) => n.nodeId !== nodeId);
    // A node that stopped heart-beating (killed) goes stale one lease after its last
    // heartbeat — when its leases, renewed in that same round, run out too: the next round
    // runs then, not up to a round later, so its accounts move within the lease.
    this.staleAt = others.length ? Math.min(...others.map((n) => n.seenAt + this.leaseMs)) : null;
    const live = Math.max(1, others.length + 1);
    const share = Math.min(capacity, Math.ceil(this.opts.accounts.length / live));
    this.share = share;
    if (this.held.size > share) {
      // An account being linked is given back last (its link would be cut).
      const busy = this.opts.busy ?? (() => false);
      const extra = [...this.held.keys()].sort((a, b) => Number(busy(b)) - Number(busy(a))).slice(share);
      for (const id of extra) await this.giveBack(id, `more than this node's share (${share} of ${this.opts.accounts.length} accounts over ${live} nodes)`);
      return;
    }
    if (this.held.size >= share) return;
    const configured = new Set(this.opts.accounts);
    const free = (await leases.list()).filter((l) => configured.has(l.accountId) && !this.held.has(l.accountId) && (l.owner === null || l.expiresAt <= t0));
    shuffle(free, this.opts.random ?? Math.random);
    for (const l of free) {
      if (this.closing || this.held.size >= share) break;
      const t = this.now();
      let token: number | null;
      try {
        token = await leases.take(nodeId, l.accountId, t, this.leaseMs);
      } catch (err) {
        // Its row is locked (a frozen owner's write in flight): next round.
        logger.warn({ err, accountId: l.accountId }, 'could not take a lease this round');
        continue;
      }
      if (token === null) continue; // another node was faster
      this.held.set(l.accountId, { token, validUntil: this.validUntil(t) });
      logger.info({ accountId: l.accountId, leaseToken: token, from: l.owner }, l.owner && l.owner !== nodeId ? 'took the expired lease of an account' : 'took the lease of an account');
      // Not awaited: a round that took many accounts would otherwise run for as long as
      // their starts (each one's connect) and renew nothing meanwhile — under load past
      // the lease of the first ones, which another node then took while they were still
      // connected here (a 440 for each; test/e2e/failover.test.ts).
      const accountId = l.accountId;
      void this.opts.startAccount(accountId).catch((err: unknown) => logger.error({ err, accountId }, 'could not start the account after taking its lease'));
    }
  }

  /** A margin under the lease so the socket closes before another node may take it. */
  private validUntil(t: number): number {
    return t + this.leaseMs - Math.min(1000, Math.floor(this.leaseMs / 10));
  }

  private heldList(): HeldLease[] {
    return [...this.held].map(([accountId, h]) => ({ accountId, token: h.token }));
  }

  /** The account is no longer ours: forget the lease first (writes refused), then stop it. */
  private lose(accountId: string, why: string): void {
    const h = this.held.get(accountId);
    if (!h) return;
    this.held.delete(accountId);
    this.opts.logger.warn({ accountId, leaseToken: h.token }, `lost account ${accountId}: ${why}; stopped here`);
    // Not awaited: the stop closes the socket at once, and a round must not wait on a
    // slow close while other leases need renewing.
    void this.opts.stopAccount(accountId, 'lease lost').catch((err: unknown) => this.opts.logger.error({ err, accountId }, 'stopping a lost account failed'));
  }

  /** Hand an account over: close its socket, then release the lease. */
  private async giveBack(accountId: string, why: string): Promise<void> {
    const h = this.held.get(accountId);
    if (!h) return;
    this.opts.logger.info({ accountId, leaseToken: h.token }, `giving account ${accountId} back: ${why}`);
    await this.opts.stopAccount(accountId, 'lease given back').catch((err: unknown) => this.opts.logger.error({ err, accountId }, 'stopping an account failed'));
    this.held.delete(accountId);
    await this.opts.leases.release(this.opts.nodeId, [{ accountId, token: h.token }]);
  }

  /** The store's write check (see the module comment). */
  fence = async (q: Queryable, accountId: string): Promise<void> => {
    const h = this.held.get(accountId);
    if (!h) throw leaseLostError(accountId, 'this node holds no lease for it');
    if (h.validUntil <= this.now()) {
      this.loseOutside(accountId, 'its lease ran out before it could be renewed');
      throw leaseLostError(accountId, 'its lease ran out before it could be renewed');
    }
    try {
      await checkLease(q, this.opts.nodeId, accountId, h.token);
    } catch (err) {
      if (isWagateError(err) && err.code === 'WAGATE_ERR_LEASE_LOST') this.loseOutside(accountId, 'a write found a newer lease token');
      throw err;
    }
  };

  private loseOutside(accountId: string, why: string): void {
    this.outside.runInAsyncScope(() => this.lose(accountId, why));
  }

  /** True while this node holds the account's lease and it is valid by this node's clock. */
  holds(accountId: string): boolean {
    const h = this.held.get(accountId);
    return h !== undefined && h.validUntil > this.now();
  }

  /** Every lease of the cluster, for status and debug dump. */
  async list(): Promise<LeaseInfo[]> {
    return (await this.opts.leases.list()).map((l) => ({ ...l, here: this.held.get(l.accountId)?.token === l.token && l.owner === this.opts.nodeId }));
  }

  /** Take no more accounts (the node is stopping); renewals go on until `release()`. */
  stop(): void {
    this.closing = true;
  }

  /** After the accounts' sockets closed: give every lease back and leave the cluster. */
  async release(): Promise<void> {
    this.closing = true;
    await this.round;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    const mine = this.heldList();
    this.held.clear();
    await this.opts.leases.release(this.opts.nodeId, mine);
    await this.opts.leases.forgetNode(this.opts.nodeId);
    this.opts.logger.info({ released: mine.map((l) => l.accountId) }, 'leases released');
  }
}

function shuffle<T>(a: T[], random: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
}
