/**
 * The receivers of the e2e-echo benchmark, against the same simulator; the bare
 * sides open an account's Baileys files in `<home>/credentials/whatsapp/<id>/`, the
 * gateway an account already in `<home>/wagate.db` (see e2e-echo.ts):
 *
 *   bare     one `makeWASocket` (Baileys' multi-file auth state, the gateway's socket
 *            options); it only receives and decrypts (`messages.upsert`), like sim-inbound
 *   gateway  `startGateway` with the Baileys transport, dmPolicy open, the echo agent:
 *            it receives, runs the conversation actors and sends every echo reply
 *
 * Each side reports when a stanza id arrived (bare: upsert; gateway: `message.received`).
 */
import { Agent } from 'node:https';
import path from 'node:path';
import makeWASocket, { useMultiFileAuthState, type AuthenticationState } from '@whiskeysockets/baileys';
import { pino } from 'pino';
import { validateConfig } from '../src/config/index.js';
import { startGateway } from '../src/gateway/supervisor.js';
import { createRootLogger, silentLogger } from '../src/log.js';
import { openSqliteStore, storeFile } from '../src/store/sqlite.js';
import { useStoreAuthState } from '../src/whatsapp/store-auth-state.js';
import { createBaileysTransportFactory } from '../src/whatsapp/index.js';
import { authDirOf } from './link-accounts.js';

/**
 * bare       receives and decrypts only
 * bare-echo  a minimal bot on bare Baileys: marks each message read and sends
 *            `echo: <text>` back — the same replies as the gateway's echo agent
 * gateway    the gateway with the echo agent
 * gateway-pg the same on the PostgreSQL store (`WAGATE_STORE_URL` in its environment)
 */
export type EchoSideName = 'bare' | 'bare-echo' | 'gateway' | 'gateway-pg';

export interface EchoSide {
  name: EchoSideName;
  /** Called with each stanza id as the receiver gets it (upsert / message.received). */
  onReceived(fn: (id: string) => void): void;
  /** bare: answer each contact once so its session is confirmed (the gateway's echo does this). */
  answer(jid: string): Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(ok: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`e2e-echo: timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * The bare sides' auth state: Baileys' own `useMultiFileAuthState` on
 * `<home>/credentials/whatsapp/<id>/` (default), or with WAGATE_BENCH_BARE_AUTH=store
 * the gateway's store-backed one on `<home>/wagate.db` — the same storage as the
 * gateway, so the ratio is the gateway's own cost without the storage choice.
 */
async function bareAuth(home: string, id: string): Promise<{ state: AuthenticationState; saveCreds: () => Promise<void>; close: () => Promise<void> }> {
  if (process.env.WAGATE_BENCH_BARE_AUTH !== 'store') {
    const { state, saveCreds } = await useMultiFileAuthState(authDirOf(home, id));
    return { state, saveCreds, close: async () => undefined };
  }
  const store = await openSqliteStore({ file: storeFile(home) });
  const auth = await useStoreAuthState({ store, accountId: id, log: { warn: () => undefined } });
  return {
    state: auth.state,
    saveCreds: auth.saveCreds,
    close: async () => {
      await auth.flushQuietly(50);
      await store.close();
    },
  };
}

export async function openBare(home: string, id: string, url: string, echo = false): Promise<EchoSide> {
  const { state, saveCreds, close } = await bareAuth(home, id);
  // Baileys' multi-file store has no flush: track its writes so stop() can wait for
  // them — a child that exits mid-write leaves the next round a stale Signal session.
  const pending = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    void p.finally(() => pending.delete(p)).catch(() => undefined);
    return p;
  };
  const keys = { get: state.keys.get, set: (data: Parameters<typeof state.keys.set>[0]) => track(Promise.resolve(state.keys.set(data))) };
  const fetchAgent = new Agent({ rejectUnauthorized: false });
  const sock = makeWASocket({
    waWebSocketUrl: url,
    auth: { creds: state.creds, keys },
    logger: pino({ level: 'silent' }) as never,
    markOnlineOnConnect: false,
    syncFullHistory: false,
    fetchAgent,
    getMessage: async () => undefined,
  });
  let open = false;
  sock.ev.on('creds.update', () => void track(saveCreds()));
  sock.ev.on('connection.update', (u) => {
    if (u.connection === 'open') open = true;
    if (u.connection === 'close') open = false;
  });
  const listeners: ((id: string) => void)[] = [];
  sock.ev.on('messages.upsert', (u) => {
    for (const m of u.messages) {
      if (!m.key.id || m.key.fromMe) continue;
      listeners.forEach((fn) => fn(m.key.id!));
      const text = m.message?.conversation ?? m.message?.extendedTextMessage?.text;
      if (echo && u.type === 'notify' && m.key.remoteJid && text) {
        void sock.readMessages([m.key]).catch(() => undefined);
        void sock.sendMessage(m.key.remoteJid, { text: `echo: ${text}` }).catch(() => undefined);
      }
    }
  });
  await until(() => open, 'the bare socket to open');
  return {
    name: echo ? 'bare-echo' : 'bare',
    onReceived: (fn) => void listeners.push(fn),
    // bare-echo answers by itself (its echo); bare answers once to confirm each session
    answer: async (jid) => void (echo ? undefined : await sock.sendMessage(jid, { text: 'ok' })),
    async stop() {
      sock.end(undefined);
      fetchAgent.destroy();
      // wait until no write has been pending for 100 ms (work in flight may still queue one)
      for (let quiet = 0; quiet < 100; quiet += 10) {
        if (pending.size > 0) {
          quiet = 0;
          await Promise.allSettled([...pending]);
        }
        await sleep(10);
      }
      await close();
    },
  };
}

/** `storeUrl`: the gateway's store is this PostgreSQL database instead of `<home>/wagate.db`. */
export async function openGateway(home: string, id: string, url: string, storeUrl?: string): Promise<EchoSide> {
  const raw = {
    web: { url },
    channels: { whatsapp: { dmPolicy: 'open' as const, allowFrom: ['*'], accounts: { [id]: {} } } },
  };
  const configPath = path.join(home, 'wagate.json');
  const config = validateConfig(raw, configPath);
  const env: Record<string, string> = { WAGATE_HOME: home, HOME: home, ...(storeUrl ? { WAGATE_STORE_URL: storeUrl } : {}) };
  const logger = process.env.WAGATE_BENCH_LOG ? createRootLogger({ file: process.env.WAGATE_BENCH_LOG, level: 'debug', pretty: false }).logger : silentLogger();
  const gw = await startGateway({
    config,
    configPath,
    stateDir: home,
    env,
    transport: createBaileysTransportFactory({ config, env, logger }),
    logger,
    port: 0,
  });
  await until(() => gw.accounts.get(id)?.state === 'connected', 'the gateway account to connect');
  return {
    name: storeUrl ? 'gateway-pg' : 'gateway',
    onReceived: (fn) => void gw.bus.on('message.received', (e) => fn(e.message.id)),
    answer: async () => undefined,
    stop: () => gw.stop('benchmark done'),
  };
}
