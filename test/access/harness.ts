/**
 * A harness for the access actors: a real Bus, a real config (validated like a
 * load), a FakeConnection per account, an injected clock and a temp state dir with
 * its store (opened on first use).
 * Records every bus event the actors emit.
 */
import path from 'node:path';
import { afterEach } from 'vitest';
import type { ActorDeps, RunningActor } from '../../src/actors/actor.js';
import { createBus, type Bus } from '../../src/bus/bus.js';
import type { BusEventName, BusEvents } from '../../src/bus/events.js';
import { resolveAccounts, validateConfig, type AccountConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log.js';
import type { InboundMessage } from '../../src/ports/inbound.js';
import type { LinkedIdentity } from '../../src/ports/transport.js';
import { FakeConnection } from '../helpers/fake-transport.js';
import { lazyStore } from '../helpers/test-store.js';
import { storeFile } from '../../src/state-layout.js';
import { tmpDir } from '../helpers/tmp.js';

export const SELF_E164 = '+15550000001';
export const SELF: LinkedIdentity = { jid: '15550000001:1@s.whatsapp.net', e164: SELF_E164, lid: '999000111@lid' };
export const ALICE = '+15551230001';
export const BOB = '+15551230002';
export const GROUP = '120363000000000001@g.us';
export const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

export interface Harness {
  deps: ActorDeps;
  bus: Bus;
  conn: FakeConnection;
  clock: { now: number };
  events: { type: BusEventName; payload: BusEvents[BusEventName] }[];
  of<K extends BusEventName>(type: K): BusEvents[K][];
  /** Start an actor; it is stopped after the test. */
  start<A extends RunningActor>(actor: A): A;
  /** Emit message.received and wait until every handler settled. */
  receive(msg: InboundMessage): Promise<void>;
  account(id?: string): AccountConfig;
  identity: LinkedIdentity | null;
  /** The catch-up window start the gateway computed (`catchUpStart`). */
  catchUpStart: number | null;
  connected: boolean;
}

export function harness(whatsapp: Record<string, unknown> = {}, extra: Record<string, unknown> = {}, stateDir = tmpDir('access')): Harness {
  const config = validateConfig({ channels: { whatsapp }, ...extra }, path.join(stateDir, 'wagate.json'));
  const accounts = new Map(resolveAccounts(config, { env: { WAGATE_HOME: stateDir } }).map((a) => [a.accountId, a]));
  const bus = createBus(silentLogger());
  const conn = new FakeConnection('resume', () => undefined);
  const events: Harness['events'] = [];
  const types: BusEventName[] = ['message.accepted', 'message.gated', 'message.dropped', 'pairing.needed', 'reply.requested'];
  for (const t of types) bus.on(t, (payload) => void events.push({ type: t, payload }));
  const h: Harness = {
    bus,
    conn,
    clock: { now: T0 },
    events,
    identity: SELF,
    catchUpStart: T0 - 60_000,
    connected: true,
    deps: undefined as unknown as ActorDeps,
    of: (type) => events.filter((e) => e.type === type).map((e) => e.payload) as never,
    start(actor) {
      cleanups.push(() => actor.stop());
      return actor;
    },
    async receive(message) {
      bus.emit('message.received', { accountId: message.accountId, message });
      await bus.idle();
    },
    account: (id = 'default') => accounts.get(id) as AccountConfig,
  };
  h.deps = {
    bus,
    config,
    accounts,
    stateDir,
    store: lazyStore(storeFile(stateDir)),
    configPath: path.join(stateDir, 'wagate.json'),
    logger: silentLogger(),
    now: () => h.clock.now,
    connection: () => {
      if (!h.connected) throw new Error('No active WhatsApp listener for account default');
      return conn;
    },
    identity: () => h.identity,
    catchUpStart: () => h.catchUpStart,
  };
  return h;
}

let seq = 0;
/** A live direct message from `from` (E.164). */
export function dm(from: string, text: string, over: Partial<InboundMessage> = {}): InboundMessage {
  seq += 1;
  const digits = from.replace('+', '');
  return {
    accountId: 'default',
    id: `MSG${seq}`,
    chatJid: `${digits}@s.whatsapp.net`,
    chatId: from,
    chatType: 'direct',
    from: { jid: `${digits}@s.whatsapp.net`, e164: from, lid: null, name: 'Someone' },
    fromMe: false,
    timestamp: T0 - 1000,
    upsertType: 'notify',
    offline: false,
    kind: 'text',
    text,
    mentions: [],
    ...over,
  };
}

/** A live group message from `from` (E.164) in `GROUP`. */
export function gm(from: string, text: string, over: Partial<InboundMessage> = {}): InboundMessage {
  const base = dm(from, text);
  return { ...base, chatJid: GROUP, chatId: GROUP, chatType: 'group', ...over };
}

/** The owner's "Message yourself" chat. */
export function selfChat(text: string, over: Partial<InboundMessage> = {}): InboundMessage {
  return dm(SELF_E164, text, { fromMe: true, isSelfChat: true, ...over });
}
