/**
 * The reply-delivery actor on a real bus with a fake connection: tests request
 * replies and read what was sent and what was reported back.
 */
import { createBus } from '../../src/bus/bus.js';
import type { AccountStateName, BusEvents } from '../../src/bus/events.js';
import { resolveAccounts, validateConfig, type WagateConfigInput } from '../../src/config/index.js';
import { WagateError, type ErrorInfo } from '../../src/errors.js';
import type { ActorDeps } from '../../src/actors/actor.js';
import type { Bus } from '../../src/bus/bus.js';
import { silentLogger } from '../../src/log.js';
import { startReplyDelivery, type ReplyDeliveryActor, type ReplyDeliveryOptions } from '../../src/actors/reply-delivery.js';
import { FakeConnection } from './fake-transport.js';
import { lazyStore } from './test-store.js';

export interface ReplyHarness {
  actor: ReplyDeliveryActor;
  bus: Bus;
  conn: FakeConnection;
  results: Array<BusEvents['reply.delivered'] | BusEvents['reply.failed']>;
  request(text: string, extra?: Partial<BusEvents['reply.requested']>): Promise<void>;
  /** Emit a request without waiting for its outcome (`results` fills in later). */
  post(text: string, extra?: Partial<BusEvents['reply.requested']>): void;
  /**
   * The account machine entered `to` (an `account.state.changed` event): from then on
   * the connection is there only while `connected`.
   */
  state(to: AccountStateName, error?: ErrorInfo | null): void;
}

export interface ReplyHarnessOptions extends ReplyDeliveryOptions {
  connected?: boolean;
  /** The state dir (default `/x`, which does not exist). */
  stateDir?: string;
  /** The actors' clock (default: always 1000). */
  now?: () => number;
}

export function replyHarness(raw: WagateConfigInput = {}, opts: ReplyHarnessOptions = {}): ReplyHarness {
  const home = opts.stateDir ?? '/x';
  const config = validateConfig(raw, `${home}/wagate.json`);
  const bus = createBus(silentLogger());
  let current: AccountStateName | null = null;
  const conn = new FakeConnection('resume', () => undefined);
  const deps: ActorDeps = {
    bus,
    config,
    accounts: new Map(resolveAccounts(config, { env: { WAGATE_HOME: home } }).map((a) => [a.accountId, a])),
    stateDir: home,
    store: lazyStore(`${home}/wagate.db`),
    configPath: `${home}/wagate.json`,
    logger: silentLogger(),
    now: opts.now ?? (() => 1000),
    connection: (id) => {
      if (opts.connected === false || (current !== null && current !== 'connected')) {
        throw new WagateError('WAGATE_ERR_NO_LISTENER', `No active WhatsApp listener for account ${id} (state: ${current ?? 'backing-off'}).`);
      }
      return conn;
    },
    identity: () => null,
    catchUpStart: () => null,
  };
  const actor = startReplyDelivery(deps, opts);
  const results: ReplyHarness['results'] = [];
  const post: ReplyHarness['post'] = (text, extra = {}) =>
    bus.emit('reply.requested', { accountId: 'default', chatJid: '15551234567@s.whatsapp.net', text, source: 'agent', requestId: 'r1', ...extra });
  bus.on('reply.delivered', (e) => void results.push(e));
  bus.on('reply.failed', (e) => void results.push(e));
  return {
    actor,
    bus,
    conn,
    results,
    async request(text, extra = {}) {
      post(text, extra);
      await bus.idle();
    },
    post,
    state(to, error = null) {
      const from = current;
      current = to;
      bus.emit('account.state.changed', { accountId: 'default', from, to, attempt: 0, nextRetryAt: null, lastClose: null, error, at: deps.now() });
    },
  };
}
