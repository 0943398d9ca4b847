/**
 * Login with saved creds and the session's own iqs: `success`, prekey
 * count/upload/rotate/digest, passive, keep-alive pings, logout; then the
 * offline queue, the offline marker and the hub's login handlers.
 */
import { getBinaryNodeChild, getBinaryNodeChildren, type BinaryNode, type proto } from '@whiskeysockets/baileys';
import type { SimConnection } from './connection.js';
import { loginFailure, type KickCode } from './faults.js';
import type { SimConflict } from './session-log.js';
import type { CompanionRecord, Hub } from './hub-impl.js';
import type { UploadedKeys } from '../hub.js';
import { bytes, signedPreKey, uint } from '../key-bundle.js';

export interface LoginDeps {
  hub: Hub;
  nowS(): number;
  /** The logged-in connection of each user. */
  sessions: Map<string, SimConnection>;
  /** One-shot login failures armed by `failNextLogin`. */
  failNext: Map<string, number>;
  /** Ends the live session of `user` (if any) with that stream error; `why` for the session log (default `kick`). */
  endSession(user: string, code: KickCode, why?: SimConflict['why']): void;
  /** A login succeeded on `conn`; `replacing`: another live session of the user ends with 440. */
  onLogin?(user: string, replacing: boolean, conn: SimConnection): void;
}

/**
 * An armed split of one account's next offline delivery (`holdOffline`): the first
 * `deliverFirst` queued stanzas go out at login, the rest and the `<ib><offline/>`
 * marker only at `release()` — live stanzas flow meanwhile, as when WhatsApp
 * delivers a long backlog in batches while the contact keeps writing.
 */
export interface OfflineHold {
  /** Sends the rest of the backlog and the marker (now, or at login when that comes later). */
  release(): void;
  /** Resolves once the login happened and the first part went out. */
  readonly started: Promise<void>;
}

interface ArmedHold {
  deliverFirst: number;
  released: boolean;
  started(): void;
  /** Set at login: sends the rest. */
  flush?: () => void;
}

export function iqResult(node: BinaryNode, content?: BinaryNode[]): BinaryNode {
  const attrs: Record<string, string> = { from: 's.whatsapp.net', type: 'result' };
  if (node.attrs.id) attrs.id = node.attrs.id;
  return content ? { tag: 'iq', attrs, content } : { tag: 'iq', attrs };
}

/** Reads a prekey upload `iq xmlns=encrypt type=set` into (or on top of) `prev`. */
export function parsePreKeyUpload(node: BinaryNode, prev: UploadedKeys | undefined): UploadedKeys {
  const preKeys = new Map(prev?.preKeys ?? []);
  for (const key of getBinaryNodeChildren(getBinaryNodeChild(node, 'list'), 'key')) {
    preKeys.set(uint(bytes(key, 'id')), bytes(key, 'value'));
  }
  return {
    registrationId: uint(bytes(node, 'registration')),
    identityKey: bytes(node, 'identity'),
    signedPreKey: signedPreKey(getBinaryNodeChild(node, 'skey')),
    preKeys,
  };
}

export class LoginFlow {
  private readonly holds = new Map<string, ArmedHold>();

  constructor(private readonly deps: LoginDeps) {}

  /** Splits the next offline delivery of `user` (see OfflineHold). */
  holdOffline(user: string, deliverFirst: number): OfflineHold {
    let started!: () => void;
    const startedP = new Promise<void>((r) => (started = r));
    const hold: ArmedHold = { deliverFirst, released: false, started };
    this.holds.set(user, hold);
    return {
      started: startedP,
      release: () => {
        hold.released = true;
        hold.flush?.();
      },
    };
  }

  /** A client with saved creds finished the handshake. */
  begin(conn: SimConnection, payload: proto.ClientPayload): void {
    const user = String(payload.username ?? '');
    const device = payload.device ?? 0;
    const failure = this.deps.failNext.get(user);
    if (failure !== undefined) {
      this.deps.failNext.delete(user);
      conn.end(loginFailure(failure));
      return;
    }
    const rec = this.deps.hub.record(user);
    if (!rec || rec.device !== device || !rec.noiseKey.equals(conn.clientStatic)) {
      conn.end(loginFailure(401));
      return;
    }
    // A second connection with the same creds replaces the first.
    this.deps.onLogin?.(user, this.deps.sessions.has(user), conn);
    this.deps.endSession(user, 440, 'replaced');
    conn.user = user;
    this.deps.sessions.set(user, conn);
    const t = String(this.deps.nowS());
    conn.send({
      tag: 'success',
      attrs: { t, props: '1', abprops: '1', location: 'sim', creation: t, lid: rec.lid },
    });
  }

  /** Answers the session's own iqs; false for anything else. */
  handle(conn: SimConnection, rec: CompanionRecord, node: BinaryNode): boolean {
    if (node.tag !== 'iq' || (node.attrs.type !== 'get' && node.attrs.type !== 'set')) return false;
    const xmlns = node.attrs.xmlns;
    const first = Array.isArray(node.content) ? node.content[0]?.tag : undefined;
    if (xmlns === 'w:p') {
      conn.send(iqResult(node));
      return true;
    }
    if (xmlns === 'passive') {
      conn.send(iqResult(node));
      return true;
    }
    if (xmlns === 'encrypt' && node.attrs.type === 'get' && first === 'count') {
      conn.send(iqResult(node, [{ tag: 'count', attrs: { value: String(rec.keys?.preKeys.size ?? 0) } }]));
      return true;
    }
    if (xmlns === 'encrypt' && node.attrs.type === 'set' && getBinaryNodeChild(node, 'registration')) {
      rec.keys = parsePreKeyUpload(node, rec.keys);
      conn.send(iqResult(node));
      return true;
    }
    if (xmlns === 'encrypt' && node.attrs.type === 'set' && first === 'rotate') {
      if (rec.keys) rec.keys.signedPreKey = signedPreKey(getBinaryNodeChild(getBinaryNodeChild(node, 'rotate'), 'skey'));
      conn.send(iqResult(node));
      return true;
    }
    if (xmlns === 'encrypt' && node.attrs.type === 'get' && first === 'digest') {
      conn.send(iqResult(node, [{ tag: 'digest', attrs: {} }]));
      if (!rec.online) this.complete(conn, rec);
      return true;
    }
    if (xmlns === 'md' && first === 'remove-companion-device') {
      conn.send(iqResult(node));
      this.deps.endSession(rec.user, 401, 'logout');
      this.deps.hub.removeCompanion(rec.user);
      return true;
    }
    return false;
  }

  /** The client is fully logged in: offline queue, marker, login handlers. */
  private complete(conn: SimConnection, rec: CompanionRecord): void {
    const queued = this.deps.hub.setOnline(rec.user, conn);
    const marker: BinaryNode = { tag: 'ib', attrs: {}, content: [{ tag: 'offline', attrs: { count: String(queued.length) } }] };
    const hold = this.holds.get(rec.user);
    this.holds.delete(rec.user);
    if (hold) {
      this.deps.hub.sent(rec.user, queued.slice(0, hold.deliverFirst));
      for (const node of queued.slice(0, hold.deliverFirst)) conn.send(node);
      const rest = queued.slice(hold.deliverFirst);
      hold.flush = () => {
        hold.flush = undefined;
        // The session ended meanwhile: what it never got is queued again, first.
        if (this.deps.sessions.get(rec.user) !== conn) return this.deps.hub.requeue(rec.user, rest);
        this.deps.hub.sent(rec.user, rest);
        for (const node of rest) conn.send(node);
        conn.send(marker);
      };
      hold.started();
      if (hold.released) hold.flush();
    } else {
      this.deps.hub.sent(rec.user, queued);
      for (const node of queued) conn.send(node);
      conn.send(marker);
    }
    const firstLogin = rec.firstLoginPending;
    rec.firstLoginPending = false;
    void this.deps.hub.runLoginHandlers(rec, firstLogin);
  }
}
