/**
 * The simulator's internal contract between its two halves:
 *
 *  - the *server* half (server/: server.ts, noise.ts, certs.ts, connection.ts,
 *    linking.ts, pairing-code.ts, login.ts, phone.ts, hub-impl.ts, faults.ts):
 *    WebSocket + Noise, linking, login, keep-alive, faults, the registry of linked
 *    companion devices and their offline queues;
 *  - the *world* half (world/: world.ts, signal.ts, contact.ts, group.ts,
 *    primary-phone.ts, messages.ts, outgoing.ts, usync.ts, app-state.ts, directory.ts,
 *    media-host.ts): simulated contacts and groups with their own Signal identities,
 *    the stanzas the client sends to them, the media host.
 *
 * This file and key-bundle.ts are shared by both halves and stay at src/sim/.
 *
 * Composition: `server/server.ts` exports `startSimServer(opts)` → `{ url, hub, phone(), kick(),
 * drop(), stall(), failNextLogin(), close() }`; `world/world.ts` exports `createWorld(hub)` →
 * `{ contact(), group(), close() }`; `index.ts` exports `startSimulator(opts)`, the two
 * together (the public API documented in the README's "Simulator" section).
 *
 * The server half owns a `SimHub`; the world half registers `StanzaHandler`s on it
 * and delivers stanzas to companions through it. Neither half imports the other's
 * files except through this contract (a dependency-cruiser rule, .dependency-cruiser.cjs).
 */
import type { BinaryNode } from '@whiskeysockets/baileys';

/** Keys a companion uploaded with its prekey `iq xmlns=encrypt type=set`. */
export interface UploadedKeys {
  registrationId: number;
  /** 32-byte Curve25519 public identity key (as uploaded, no 0x05 prefix). */
  identityKey: Uint8Array;
  signedPreKey: { id: number; publicKey: Uint8Array; signature: Uint8Array };
  /** One-time prekeys by id; a bundle fetch consumes one. */
  preKeys: Map<number, Uint8Array>;
}

/** A linked companion device (one gateway account = one of these). */
export interface SimCompanion {
  /** Phone number user part, e.g. `15550000001`. */
  user: string;
  /** Companion device id (≥ 1). */
  device: number;
  /** `15550000001:1@s.whatsapp.net` */
  jid: string;
  /** LID user part, e.g. `100000000000001`. */
  lidUser: string;
  /** `100000000000001:1@lid` */
  lid: string;
  /** Filled after the first prekey upload; undefined before. */
  keys?: UploadedKeys;
  /** The device name the client announced at linking (DeviceProps `os`): what Linked Devices shows. */
  deviceName?: string;
  /** True while a logged-in connection is open. */
  online: boolean;
  /**
   * The iqs this companion sent since it linked, counted by `"<xmlns> <type> <first child>"`,
   * e.g. `"w:p get ping"` (keep-alive: Baileys pings every 30 s by default) or
   * `"privacy set tokens"` (privacy-token issuance). Tests read it to catch a client
   * that floods the server.
   */
  iqs: Record<string, number>;
}

/** What a handler may do with the connection the stanza came from. */
export interface StanzaContext {
  companion: SimCompanion;
  /** Send a node to this very connection. */
  send(node: BinaryNode): void;
}

/**
 * Handles a stanza the client sent. Return true when handled (the hub then does
 * nothing more with it); false to let the next handler, and finally the hub's
 * generic answer (an empty iq result / an ack), take it.
 */
export type StanzaHandler = (node: BinaryNode, ctx: StanzaContext) => boolean | Promise<boolean>;

export interface SimHub {
  /** Every linked companion, by phone user part (one companion per phone number). */
  readonly companions: ReadonlyMap<string, SimCompanion>;
  /** Register a handler for stanzas with this tag (`message`, `receipt`, `iq`, `presence`, `chatstate`, `notification`, `ack`). */
  onStanza(tag: string, handler: StanzaHandler): void;
  /**
   * Deliver a stanza to the companion of `user`. When it is offline the stanza is
   * queued and delivered at its next login with `offline="1"` (then the
   * `<ib><offline count=N/></ib>` marker). Returns whether it went out live.
   */
  deliver(user: string, node: BinaryNode): boolean;
  /** Resolves once the companion of `user` is online (linked and logged in). */
  waitOnline(user: string, timeoutMs?: number): Promise<SimCompanion>;
  /** A fresh stanza id. */
  nextId(): string;
  /**
   * Called after every successful login of a companion, once its prekeys are in
   * (`firstLogin` is true right after linking). The world half uses it to have the
   * primary phone send the app-state key share and the empty initial history sync.
   */
  onCompanionLogin(handler: (companion: SimCompanion, info: { firstLogin: boolean }) => void | Promise<void>): void;
}
