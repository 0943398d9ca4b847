/**
 * The actor contract: what every actor (src/actors/) gets from the supervisor
 * (`ActorDeps`) and what it hands back (`RunningActor`). Actors talk to each other
 * only through the bus; they reach WhatsApp only through `connection()`. The
 * supervisor keeps the running actors in gateway/actor-registry.ts.
 */
import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.js';
import type { AccountConfig, WagateConfig } from '../config/index.js';
import type { Connection, LinkedIdentity } from '../ports/transport.js';
import type { Store } from '../store/port.js';
import { ledgerFor, type InboundLedger } from '../ledger/inbound-ledger.js';

/** A started actor, as the registry keeps it. */
export interface RunningActor {
  readonly name: string;
  /** Plain JSON describing the actor's current state (for `wagate debug dump`). */
  summary(): unknown;
  /**
   * Actors whose work outlives a bus handler (agent runs, replies): true while some
   * is in flight. The drain on stop (`gateway.drainSeconds`) waits for `idle()` of
   * every busy actor, bounded, before `stop()`.
   */
  busy?(): boolean;
  /** Resolves when the work taken so far has finished (with `busy`). */
  idle?(): Promise<void>;
  stop(): void | Promise<void>;
}

export interface ActorDeps {
  bus: Bus;
  /** The whole loaded config (agents, messages, session, commands, web…). */
  config: WagateConfig;
  /** Effective per-account settings (channels.whatsapp merged), by account id. */
  accounts: ReadonlyMap<string, AccountConfig>;
  /** `<state>` dir (media, agent files live under it). */
  stateDir: string;
  /** The process's store (SPEC §12): dedupe, pairing, activations … The supervisor owns and closes it. */
  store: Store;
  /**
   * The inbound ledger over `store` (src/ledger/inbound-ledger.ts); the supervisor
   * passes one. Absent (tests): one shared per store, see `ledgerOf`.
   */
  ledger?: InboundLedger;
  /** Config file path (for `/config set`). */
  configPath: string;
  logger: Logger;
  now: () => number;
  /**
   * The account's live connection; throws WAGATE_ERR_NO_LISTENER ("No active
   * WhatsApp listener for account <id> …") when it is not connected.
   */
  connection(accountId: string): Connection;
  /** Who the account is linked as (null before the first link). */
  identity(accountId: string): LinkedIdentity | null;
  /** The account's offline catch-up window start (`catchUpStart`, SPEC §5); null = unknown. */
  catchUpStart(accountId: string): number | null;
  /**
   * A cluster node (`cluster`, src/cluster): an account runs here only while this node
   * holds its lease. Its unfinished ledger entries are resumed when the node takes the
   * lease (`account.lease.taken`), never at start for every account.
   */
  leased?: boolean;
}

/** The ledger of `deps`: the one given, else the one shared by every actor on the same store. */
export function ledgerOf(deps: Pick<ActorDeps, 'ledger' | 'store' | 'now'>): InboundLedger {
  return deps.ledger ?? ledgerFor(deps.store, deps.now);
}

/** An actor module's shape: `start(deps)` returns the running actor. */
export type ActorFactory = (deps: ActorDeps) => RunningActor;
