/**
 * The reply-delivery actor on a real bus with a fake connection: tests request
 * replies and read what was sent and what was reported back.
 */
import { createBus } from '../../src/bus/bus.js';
import type { BusEvents } from '../../src/bus/events.js';
import { resolveAccounts, validateConfig, type WagateConfigInput } from '../../src/config/index.js';
import { WagateError } from '../../src/errors.js';
import type { ActorDeps, RunningActor } from '../../src/actors/actor.js';
import { silentLogger } from '../../src/log.js';
import { startReplyDelivery, type ReplyDeliveryOptions } from '../../src/actors/reply-delivery.js';
import { FakeConnection } from './fake-transport.js';
import { lazyStore } from './test-store.js';

export interface ReplyHarness {
  actor: RunningActor;
  conn: FakeConnection;
  results: Array<BusEvents['reply.delivered'] | BusEvents['reply.failed']>;
  request(text: string, extra?: Partial<BusEvents['reply.requested']>): Promise<void>;
}

export interface ReplyHarnessOptions extends ReplyDeliveryOptions {
  connected?: boolean;
  /** The state dir (default `/x`, which does not exist). */
  stateDir?: string;
}

export function replyHarness(raw: WagateConfigInput = {}, opts: ReplyHarnessOptions = {}): ReplyHarness {
  const home = opts.stateDir ?? '/x';
  const config = validateConfig(raw, `${home}/wagate.json`);
  const bus = createBus(silentLogger());
  const conn = new FakeConnection('resume', () => undefined);
  const deps: ActorDeps = {
    bus,
    config,
    accounts: new Map(resolveAccounts(config, { env: { WAGATE_HOME: home } }).map((a) => [a.accountId, a])),
    stateDir: home,
    store: lazyStore(`${home}/wagate.db`),
    configPath: `${home}/wagate.json`,
    logger: silentLogger(),
    now: () => 1000,
    connection: (id) => {
      if (opts.connected === false) {
        throw new WagateError('WAGATE_ERR_NO_LISTENER', `No active WhatsApp listener for account ${id} (state: backing-off).`);
      }
      return conn;
    },
    identity: () => null,
    catchUpStart: () => null,
  };
  const actor = startReplyDelivery(deps, opts);
  const results: ReplyHarness['results'] = [];
  bus.on('reply.delivered', (e) => void results.push(e));
  bus.on('reply.failed', (e) => void results.push(e));
  return {
    actor,
    conn,
    results,
    async request(text, extra = {}) {
      bus.emit('reply.requested', { accountId: 'default', chatJid: '15551234567@s.whatsapp.net', text, source: 'agent', requestId: 'r1', ...extra });
      await bus.idle();
    },
  };
}
