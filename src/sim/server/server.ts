/**
 * The simulator's server half: a loopback WebSocket server that speaks the real
 * WhatsApp Web protocol (Noise XX, binary nodes) to the unmodified Baileys client.
 *
 * ```ts
 * const srv = await startSimServer({ port: 0, host: '127.0.0.1' });
 * // Baileys: makeWASocket({ waWebSocketUrl: srv.url, ... }) → connection.update {qr}
 * await srv.phone('+15550000001').scanQr(qr);   // pair-success, then 515 → reconnect
 * await srv.hub.waitOnline('15550000001');        // logged in with saved creds
 * srv.kick('+15550000001', 440);                   // client closes with 440
 * await srv.close();
 * ```
 *
 * - `url`: `ws://host:port/ws/chat`, for Baileys' `waWebSocketUrl`.
 * - `hub`: the `SimHub` (hub.ts) the world half builds on: companions, stanza
 *   handlers, `deliver()` with the offline queue (`offline="1"` + `<ib><offline count>`).
 * - `phone(e164)`: the simulated primary phone of a number; `scanQr(qrText)` links the
 *   client that shows that QR and resolves with the new companion;
 *   `enterPairingCode(code)` does the same for a client that called
 *   `sock.requestPairingCode(number)` (pairing-code linking).
 * - `kick(user, 401|440|500|515)`: ends the live session with that stream error
 *   (401 also unlinks the device, so its next login fails with 401).
 * - `drop(user)`: closes the socket (client reports 428).
 * - `stall(user)`: stops answering and sending on the session (client reports 408
 *   after `keepAliveIntervalMs + 5 s` of silence).
 * - `failNextLogin(user, 401)`: the next login of that account gets `<failure reason>`.
 * - `dropOnNextMessage(user, { code: 428|500|515, deliver })`: the connection ends as the
 *   account's next chat message arrives, before its ack (delivered first or lost).
 * - `dropOnNextQuery(user, { xmlns, code })`: the connection ends as the account's next
 *   query of that namespace arrives, unanswered (a send's device look-up in flight).
 * - `versionUrl` (`http://host:port/sw.js`) serves WhatsApp Web's `client_revision`
 *   (`webVersion.revision`; null → HTTP 500); `webVersion.minimum` refuses logins that
 *   announce an older version with 405; `webVersion.fetches` / `.seen` count the fetches and
 *   record each hello's version (web-version.ts).
 * - `holdOffline(user, deliverFirst)`: at the next login only the first `deliverFirst`
 *   queued stanzas go out; the rest and the `<ib><offline/>` marker wait for
 *   `release()` while live stanzas flow (a backlog delivered in batches).
 * - A second login with the same creds replaces the first (440) by itself.
 * - `sessionLog(user)`, `maxLive(user)`, `conflicts()`: each logged-in connection (login,
 *   end, close, stanzas after its end), the most live at once, every 440/401 sent
 *   (session-log.ts).
 * - Like WhatsApp, a message stanza stays the server's until the companion acknowledges
 *   it (receipt or ack): one whose connection ends first is delivered again at the next
 *   login, in order, before what was queued meanwhile.
 * `user` is a phone number in any of the forms `+15550000001`, `15550000001`,
 * `15550000001@s.whatsapp.net`.
 *
 * Starting a server installs the process-wide simulator root key into Baileys'
 * `WA_CERT_DETAILS.PUBLIC_KEY`, so Baileys in this process trusts the simulator.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Curve, type BinaryNode } from '@whiskeysockets/baileys';
import { pino, type Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { createCertAuthority, installRootKey } from './certs.js';
import { SimConnection, type ConnectionEvents } from './connection.js';
import { loginFailure, streamError, type KickCode } from './faults.js';
import { Hub } from './hub-impl.js';
import type { SimHub } from '../hub.js';
import { Linker, type SimPhone } from './linking.js';
import { toUser } from './phone-number.js';
import { LoginFlow, iqResult, type OfflineHold } from './login.js';
import { SessionLog, type SimConflict, type SimSessionRecord } from './session-log.js';
import { SimWebVersion } from './web-version.js';

export type { KickCode } from './faults.js';
export type { SimPhone } from './linking.js';
export type { OfflineHold } from './login.js';
export type { SimConflict, SimSessionRecord } from './session-log.js';
export { toUser } from './phone-number.js';
export { SimWebVersion, SIM_CLIENT_REVISION } from './web-version.js';

export interface SimServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** `pair-device` refs per new client, i.e. how many QR codes it shows before 408 (default 6). */
  qrRefs?: number;
  /** Defaults to a silent logger. */
  logger?: Logger;
  /** Wall clock in ms (default Date.now); stamps `t` attributes and certificates. */
  now?: () => number;
}

export interface SimServer {
  url: string;
  /** WhatsApp Web's `sw.js` on this server (for `web.versionUrl`). */
  versionUrl: string;
  /** What sw.js serves, the minimum version logins need, and what was asked and announced. */
  webVersion: SimWebVersion;
  hub: SimHub;
  phone(e164: string): SimPhone;
  kick(user: string, code: KickCode): void;
  drop(user: string): void;
  stall(user: string): void;
  failNextLogin(user: string, reason: 401): void;
  /**
   * The next chat message the account sends ends its connection with `code` (428: the
   * socket just closes, as `drop`; 500/515: a stream error, as `kick`) before the client
   * gets WhatsApp's ack. `deliver`: whether WhatsApp got it first (the recipient has it)
   * or it was lost with the socket.
   */
  dropOnNextMessage(user: string, opts?: { code?: 428 | 500 | 515; deliver?: boolean }): void;
  /**
   * The next query (`iq` get/set) of namespace `xmlns` the account sends ends its
   * connection with `code` (as `dropOnNextMessage`), unanswered: a send whose device
   * look-up (`usync`) or prekey fetch (`encrypt`) is in flight when the socket ends.
   */
  dropOnNextQuery(user: string, opts: { xmlns: string; code?: 428 | 500 | 515 }): void;
  /**
   * Per account: how many logins succeeded, and how many ended a live session because
   * another connection logged in with the same creds (each a 440 "replaced" sent, i.e.
   * two live connections of one account met); `kick(user, 440)` is not counted.
   */
  sessionStats(user: string): { logins: number; replaced: number };
  /**
   * Every logged-in connection of the account, oldest first: login, end (stream error),
   * close, and what the client sent after the server ended it (session-log.ts).
   */
  sessionLog(user: string): SimSessionRecord[];
  /** The most logged-in sockets the account had open at once (2: two live connections met). */
  maxLive(user: string): number;
  /** Every conflict stream error sent (440 replaced, 401 device removed), in order. */
  conflicts(): SimConflict[];
  holdOffline(user: string, deliverFirst: number): OfflineHold;
  close(): Promise<void>;
}

const ACKED = new Set(['message', 'receipt', 'notification', 'call']);

/** The generic answer to a stanza nobody handled: an empty iq result or an ack. */
function genericAnswer(node: BinaryNode): BinaryNode | undefined {
  if (node.tag === 'iq') return node.attrs.type === 'get' || node.attrs.type === 'set' ? iqResult(node) : undefined;
  if (!ACKED.has(node.tag) || !node.attrs.id) return undefined;
  const attrs: Record<string, string> = { id: node.attrs.id, class: node.tag, from: node.attrs.to ?? 's.whatsapp.net' };
  if (node.attrs.type && node.tag !== 'message') attrs.type = node.attrs.type;
  if (node.attrs.participant) attrs.participant = node.attrs.participant;
  return { tag: 'ack', attrs };
}

/** The stanza ids a receipt or ack covers: its `id` and its `<list><item id/>` entries. */
function stanzaIds(node: BinaryNode): string[] {
  const ids = node.attrs.id ? [node.attrs.id] : [];
  const list = Array.isArray(node.content) ? node.content.find((c) => c.tag === 'list') : undefined;
  for (const item of Array.isArray(list?.content) ? list.content : []) if (item.attrs.id) ids.push(item.attrs.id);
  return ids;
}

export async function startSimServer(opts: SimServerOptions = {}): Promise<SimServer> {
  const log = opts.logger ?? pino({ level: 'silent' });
  const now = opts.now ?? Date.now;
  const nowS = (): number => Math.floor(now() / 1000);
  const serverStatic = Curve.generateKeyPair();
  const ca = createCertAuthority(serverStatic, nowS());
  installRootKey(ca.root.public);

  const hub = new Hub((err, where) => log.warn({ err }, `sim: error in ${where}`));
  const sessions = new Map<string, SimConnection>();
  const failNext = new Map<string, number>();
  const dropOnMessage = new Map<string, { code: 428 | 500 | 515; deliver: boolean }>();
  const dropOnQuery = new Map<string, { xmlns: string; code: 428 | 500 | 515 }>();
  const connections = new Set<SimConnection>();
  const stats = new Map<string, { logins: number; replaced: number }>();
  const statsOf = (user: string) => {
    let st = stats.get(user);
    if (!st) stats.set(user, (st = { logins: 0, replaced: 0 }));
    return st;
  };
  const sessionLog = new SessionLog(now);
  const endSession = (user: string, code: KickCode, why: SimConflict['why'] = 'kick'): void => {
    const conn = sessions.get(user);
    if (!conn) return;
    sessionLog.ended(conn, code, why);
    sessions.delete(user);
    hub.setOffline(user, conn);
    conn.end(streamError(code));
  };
  // One companion per number: linking it again removes the old device.
  const linker = new Linker({ hub, nowS, qrRefs: opts.qrRefs ?? 6, onRelink: (user) => endSession(user, 401, 'relink') });
  const login = new LoginFlow({
    hub,
    nowS,
    sessions,
    failNext,
    endSession,
    onLogin: (user, replacing, conn) => {
      sessionLog.login(user, conn);
      const st = statsOf(user);
      st.logins++;
      if (replacing) st.replaced++;
    },
  });

  const webVersion = new SimWebVersion();
  const events: ConnectionEvents = {
    onHello(conn, payload) {
      if (webVersion.refuses(payload)) conn.end(loginFailure(405));
      else if (payload.devicePairingData) linker.begin(conn, payload.devicePairingData);
      else if (payload.username) login.begin(conn, payload);
      else conn.end(loginFailure(401));
    },
    onReceived(conn, node) {
      sessionLog.stanza(conn, node.tag);
    },
    async onNode(conn, node) {
      const rec = conn.user !== undefined ? hub.record(conn.user) : undefined;
      if (rec && sessions.get(rec.user) === conn) {
        if (node.tag === 'iq' && (node.attrs.type === 'get' || node.attrs.type === 'set')) {
          const first = Array.isArray(node.content) ? node.content[0]?.tag : undefined;
          const key = `${node.attrs.xmlns ?? ''} ${node.attrs.type} ${first ?? ''}`;
          rec.iqs[key] = (rec.iqs[key] ?? 0) + 1;
        }
        if (node.tag === 'receipt' || node.tag === 'ack') hub.acked(rec.user, stanzaIds(node));
        if (login.handle(conn, rec, node)) return;
        const q = node.tag === 'iq' && (node.attrs.type === 'get' || node.attrs.type === 'set') ? dropOnQuery.get(rec.user) : undefined;
        if (q && node.attrs.xmlns === q.xmlns) {
          dropOnQuery.delete(rec.user);
          if (q.code === 428) conn.close();
          else endSession(rec.user, q.code);
          return;
        }
        const drop = node.tag === 'message' ? dropOnMessage.get(rec.user) : undefined;
        if (drop) {
          dropOnMessage.delete(rec.user);
          // WhatsApp may have it (deliver) but the client never hears the ack.
          if (drop.deliver) await hub.dispatch(node, { companion: rec, send: () => undefined });
          if (drop.code === 428) conn.close();
          else endSession(rec.user, drop.code);
          return;
        }
        if (await hub.dispatch(node, { companion: rec, send: (n) => conn.send(n) })) return;
      } else if (linker.handle(conn, node)) {
        return;
      }
      const answer = genericAnswer(node);
      if (answer) conn.send(answer);
    },
    onClose(conn) {
      sessionLog.closed(conn);
      connections.delete(conn);
      linker.forget(conn);
      if (conn.user !== undefined && sessions.get(conn.user) === conn) {
        sessions.delete(conn.user);
        hub.setOffline(conn.user, conn);
      }
    },
    onError(err) {
      log.warn({ err }, 'sim: connection error');
    },
  };

  const http: Server = createServer((req, res) => {
    if (!webVersion.serve(req, res)) res.writeHead(426).end();
  });
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (ws) => {
    connections.add(new SimConnection(ws, serverStatic, ca.chain, events));
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = http.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  const session = (user: string): SimConnection => {
    const conn = sessions.get(toUser(user));
    if (!conn) throw new Error(`sim: ${user} has no live session`);
    return conn;
  };

  return {
    url: `ws://${host}:${port}/ws/chat`,
    versionUrl: `http://${host}:${port}/sw.js`,
    webVersion,
    hub,
    phone: (e164) => linker.phone(e164),
    kick(user, code) {
      session(user); // throws when the account is not connected
      endSession(toUser(user), code);
      if (code === 401) hub.removeCompanion(toUser(user));
    },
    drop(user) {
      session(user).close();
    },
    stall(user) {
      session(user).stalled = true;
    },
    failNextLogin(user, reason) {
      failNext.set(toUser(user), reason);
    },
    dropOnNextMessage(user, o = {}) {
      dropOnMessage.set(toUser(user), { code: o.code ?? 428, deliver: o.deliver ?? false });
    },
    dropOnNextQuery(user, o) {
      dropOnQuery.set(toUser(user), { xmlns: o.xmlns, code: o.code ?? 428 });
    },
    sessionStats(user) {
      return { ...statsOf(toUser(user)) };
    },
    sessionLog(user) {
      return sessionLog.sessions(toUser(user));
    },
    maxLive(user) {
      return sessionLog.maxLiveOf(toUser(user));
    },
    conflicts() {
      return [...sessionLog.conflicts];
    },
    holdOffline(user, deliverFirst) {
      return login.holdOffline(toUser(user), deliverFirst);
    },
    async close() {
      hub.close();
      for (const conn of [...connections]) conn.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
