/**
 * The WhatsApp simulator: a loopback server speaking the real WhatsApp Web protocol
 * to the unmodified Baileys client, with simulated phones, contacts and groups.
 *
 * ```ts
 * const sim = await startSimulator({ port: 0, host: '127.0.0.1' });
 * // Baileys: makeWASocket({ waWebSocketUrl: sim.url,
 * //   fetchAgent: new https.Agent({ rejectUnauthorized: false }), ... })  → connection.update {qr}
 * await sim.phone('+15550000001').scanQr(qr);          // links; client gets 515, reconnects, opens
 * const alice = sim.contact('+15551112222', { name: 'Alice' });
 * const id = await alice.send('hi');                    // client: messages.upsert (pkmsg, then msg)
 * const got = await alice.nextMessage();                // what the client sent to Alice, decrypted
 * const g = sim.group({ subject: 'Team', participants: [alice, bob] });
 * await g.send(alice, 'hello @bob', { mentions: [bob.jid] });
 * await sim.close();
 * ```
 *
 * - `url`: the `waWebSocketUrl` for Baileys.
 * - `phone(e164).scanQr(qr)`: the simulated primary phone links the client showing `qr`.
 * - `contact(e164, { name, to })` → `SimContact` (world/contact.ts): `send(text)`, `reply(id, text)`
 *   (quoted: stanzaId/participant/quotedMessage), `react(id, emoji)`,
 *   `sendImage|sendVideo|sendAudio|sendDocument|sendSticker(bytes, { mimetype, caption, fileName, ptt })`,
 *   `sendContact(name, e164)`, `sendLocation({ latitude, longitude })`, `sendMessage(proto)`; all
 *   resolve to the stanza id and queue while the account is offline. Received, decrypted:
 *   `inbox` ({ id, message, from, chat, at }), `await nextMessage(timeoutMs)`, `receipts`
 *   ({ ids, type: 'delivery' | 'read' | … }), `reactions` ({ id, emoji }), `presence`
 *   ({ state: 'composing' | 'paused' | 'recording' }), `download(message)` → plaintext media bytes.
 *   `to` picks the linked account (phone number); default: the first linked one.
 * - `group({ subject, participants, accounts? })` → `SimGroup` (world/group.ts): `send(member, text,
 *   { mentions })`, `sendMessage(member, proto)`, `inbox` / `nextMessage()` for what the account
 *   sent to the group; each member's `inbox` gets it too (chat = the group jid).
 * - `primaryPhone(e164)`: the account's own phone (device 0); its `inbox` holds the copies the
 *   companion fans out to it.
 * - Faults: `kick(user, 401 | 440 | 500 | 515)`, `drop(user)` (428), `stall(user)` (408),
 *   `failNextLogin(user, 401)`, `dropOnNextMessage(user, { code: 428|500|515, deliver })` (the
 *   connection ends as the account's next message arrives, before the client gets its ack),
 *   `dropOnNextQuery(user, { xmlns, code })` (as the account's next query of that namespace
 *   arrives, unanswered);
 *   a second login with the same creds replaces the first (440). `sessionLog(user)` (each
 *   logged-in connection: login, end, close, stanzas after its end), `maxLive(user)` and
 *   `conflicts()` (every 440/401 sent) show who was connected when. Contacts and phones show a
 *   message id once per sender, like real WhatsApp clients.
 * - WhatsApp Web's version: `versionUrl` serves `sw.js` with `webVersion.revision` as its
 *   `client_revision` (null → HTTP 500); `webVersion.minimum = N` refuses logins announcing
 *   a version below `2.3000.N` with 405; `webVersion.fetches` and `webVersion.seen` (each
 *   hello's version) show what the client did.
 * - `holdOffline(user, n)` delivers only n of the next login's offline queue until `release()`,
 *   live stanzas flowing meanwhile.
 * - Media: Baileys uploads over HTTPS to a self-signed loopback host, so give the client
 *   `fetchAgent: new https.Agent({ rejectUnauthorized: false })`; contacts' media is served
 *   over plain loopback HTTP, so `downloadMediaMessage` needs nothing special.
 * - `hub`: the internal contract between the server and world halves (hub.ts).
 *
 * Starting a simulator installs its root key into Baileys' `WA_CERT_DETAILS` in this process.
 */
import { startSimServer, type SimServer, type SimServerOptions } from './server/server.js';
import { createWorld, type SimWorld } from './world/world.js';

export type { SimContact, Receipt, Reaction, Presence } from './world/contact.js';
export type { SimGroup } from './world/group.js';
export type { ReceivedMessage } from './world/messages.js';
export type { ContactOptions, GroupOptions } from './world/world.js';
export type { OfflineHold, SimConflict, SimSessionRecord } from './server/server.js';

export interface SimulatorOptions extends SimServerOptions {
  /**
   * What the primary phone sends a new companion at its first login: the app-state key
   * share and the initial history sync (`after-link`, the default, as WhatsApp does), or
   * nothing (`never`: a companion whose first sync was lost, e.g. a login that closed
   * at once against another server; Baileys then holds events for 20 s per connection).
   */
  initialSync?: 'after-link' | 'never';
}

export interface Simulator extends Omit<SimServer, 'close'>, Omit<SimWorld, 'close'> {
  close(): Promise<void>;
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const server = await startSimServer(opts);
  let world: SimWorld;
  try {
    world = await createWorld(server.hub, { logger: opts.logger, now: opts.now, host: opts.host, initialSync: opts.initialSync });
  } catch (err) {
    await server.close();
    throw err;
  }
  return {
    url: server.url,
    versionUrl: server.versionUrl,
    webVersion: server.webVersion,
    hub: server.hub,
    phone: (e164) => server.phone(e164),
    kick: (user, code) => server.kick(user, code),
    drop: (user) => server.drop(user),
    stall: (user) => server.stall(user),
    failNextLogin: (user, reason) => server.failNextLogin(user, reason),
    dropOnNextMessage: (user, o) => server.dropOnNextMessage(user, o),
    dropOnNextQuery: (user, o) => server.dropOnNextQuery(user, o),
    sessionStats: (user) => server.sessionStats(user),
    sessionLog: (user) => server.sessionLog(user),
    maxLive: (user) => server.maxLive(user),
    conflicts: () => server.conflicts(),
    holdOffline: (user, deliverFirst) => server.holdOffline(user, deliverFirst),
    contact: (e164, o) => world.contact(e164, o),
    group: (o) => world.group(o),
    primaryPhone: (user) => world.primaryPhone(user),
    media: world.media,
    close: async () => {
      await world.close();
      await server.close();
    },
  };
}
