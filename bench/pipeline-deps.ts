/**
 * The pipeline benchmark's world: a real bus, a config validated like a load
 * (dmPolicy open, allowFrom *, groupPolicy open, the default echo agent), a temp
 * state dir with its store (`wagate.db`, as the gateway opens it, or the PostgreSQL
 * database at `storeUrl`), a FakeConnection standing in for WhatsApp, and the conversation
 * actors started exactly as the supervisor starts them (`startConversation`).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ActorDeps } from '../src/actors/actor.js';
import { createBus, type Bus } from '../src/bus/bus.js';
import { resolveAccounts, validateConfig } from '../src/config/index.js';
import { ActorRegistry } from '../src/gateway/actor-registry.js';
import { startConversation } from '../src/gateway/conversation.js';
import { createControlRegistry } from '../src/gateway/methods.js';
import { silentLogger } from '../src/log.js';
import { openPostgresStore } from '../src/store/postgres.js';
import { openSqliteStore, storeFile } from '../src/store/sqlite.js';
import type { InboundMessage } from '../src/ports/inbound.js';
import type { LinkedIdentity } from '../src/ports/transport.js';
import { FakeConnection } from '../test/helpers/fake-transport.js';

const SELF: LinkedIdentity = { jid: '15550000001:1@s.whatsapp.net', e164: '+15550000001', lid: '999000111@lid' };
const SELF_MENTION = '15550000001@s.whatsapp.net';
export const BENCH_GROUP = (g: number): string => `1203630000000${String(g).padStart(5, '0')}@g.us`;

export interface Pipeline {
  bus: Bus;
  conn: FakeConnection;
  /** A live direct message from contact number `c`. */
  dm(c: number, text: string): InboundMessage;
  /** A live message from member `m` in group `g`; `mention` @mentions the linked number. */
  groupMessage(g: number, m: number, text: string, mention: boolean): InboundMessage;
  /** Every handler, queued agent run and reply finished. */
  settle(): Promise<void>;
  /** Write transactions the store committed so far (group commit: one per event-loop turn that wrote); NaN on PostgreSQL (not counted). */
  storeCommits(): number;
  close(): Promise<void>;
}

const phone = (i: number): string => `+1555400${String(i).padStart(4, '0')}`;

/** `storeUrl`: a PostgreSQL database (a fresh one) instead of the state dir's SQLite file. */
export async function openPipeline(opts: { storeUrl?: string } = {}): Promise<Pipeline> {
  const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'wagate-bench-pipeline-'));
  const configPath = path.join(stateDir, 'wagate.json');
  const config = validateConfig({ channels: { whatsapp: { dmPolicy: 'open', allowFrom: ['*'], groupPolicy: 'open' } } }, configPath);
  const accounts = new Map(resolveAccounts(config, { env: { WAGATE_HOME: stateDir } }).map((a) => [a.accountId, a]));
  const logger = silentLogger();
  const bus = createBus(logger);
  const conn = new FakeConnection('resume', () => undefined);
  const started = Date.now();
  const store = opts.storeUrl ? await openPostgresStore({ url: opts.storeUrl }) : await openSqliteStore({ file: storeFile(stateDir) });
  const deps: ActorDeps = {
    bus,
    config,
    accounts,
    stateDir,
    store,
    configPath,
    logger,
    now: () => Date.now(),
    connection: () => conn,
    identity: () => SELF,
    catchUpStart: () => started - 60_000,
  };
  const actors = new ActorRegistry();
  startConversation(deps, actors, createControlRegistry());
  let seq = 0;
  const base = (from: string, text: string): InboundMessage => {
    seq += 1;
    const jid = `${from.slice(1)}@s.whatsapp.net`;
    return {
      accountId: 'default',
      id: `BENCH${seq}`,
      chatJid: jid,
      chatId: from,
      chatType: 'direct',
      from: { jid, e164: from, lid: null, name: 'Bench' },
      fromMe: false,
      timestamp: Date.now(),
      upsertType: 'notify',
      offline: false,
      kind: 'text',
      text,
      mentions: [],
    };
  };
  for (let g = 0; g < 4; g++) {
    const members = Array.from({ length: 11 }, (_, m) => ({ jid: `${phone(m).slice(1)}@s.whatsapp.net`, admin: false }));
    conn.groups[BENCH_GROUP(g)] = { jid: BENCH_GROUP(g), subject: `Bench ${g}`, participants: members };
  }
  // Every actor's work too (agent runs and replies are not bus handler promises): a
  // warm-up's late reply must not be taken for a measured message's.
  const running = new AbortController().signal;
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 3; i++) {
      await bus.idle();
      await actors.drain(running);
      await new Promise((r) => setImmediate(r));
    }
  };
  return {
    bus,
    conn,
    dm: (c, text) => base(phone(c), text),
    groupMessage: (g, m, text, mention) => ({
      ...base(phone(m), text),
      chatJid: BENCH_GROUP(g),
      chatId: BENCH_GROUP(g),
      chatType: 'group',
      mentions: mention ? [SELF_MENTION] : [],
    }),
    settle,
    storeCommits: () => ('writeCommits' in store ? store.writeCommits : Number.NaN),
    async close() {
      await settle();
      bus.emit('gateway.stopping', { accountId: null, reason: 'benchmark done', at: Date.now() });
      await actors.stopAll();
      await bus.idle();
      bus.clear();
      await store.close();
      await fs.rm(stateDir, { recursive: true, force: true });
    },
  };
}
