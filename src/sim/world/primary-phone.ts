/**
 * The primary phone of an account as a Signal party (device 0 of the account's
 * own user): Baileys fans every message out to it too, and right after a new
 * companion's first login it sends the app-state sync key share and an empty
 * initial history sync (otherwise Baileys waits ~20 s before going online).
 */
import { deflateSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { proto } from '@whiskeysockets/baileys';
import type { SimCompanion, SimHub } from '../hub.js';
import { directStanza, pnJid, ShownIds, type Party, type ReceivedMessage } from './messages.js';
import { SignalParty } from './signal.js';

export class PrimaryPhone implements Party {
  readonly kind = 'phone' as const;
  readonly signal = new SignalParty();
  /** Copies of what the companion sent (its own-device fan-out), decrypted. */
  readonly inbox: ReceivedMessage[] = [];

  constructor(
    readonly pnUser: string,
    readonly lidUser: string,
  ) {}

  /** The companion this phone linked last (for `sendToSelf`). */
  private link: { hub: SimHub; companion: SimCompanion } | null = null;

  /** Remember the companion's latest login (the world calls this on every login). */
  attach(hub: SimHub, companion: SimCompanion): void {
    this.link = { hub, companion };
  }

  /**
   * The owner types `text` in "Message yourself" on the phone: the companion gets
   * it from its own number's device 0, so Baileys upserts it `fromMe` in the
   * self-chat. Returns the message id.
   */
  async sendToSelf(text: string, nowMs = Date.now()): Promise<string> {
    if (!this.link) throw new Error(`sim: the phone of ${this.pnUser} has no logged-in companion yet`);
    const { hub, companion } = this.link;
    const id = hub.nextId();
    const stanza = await directStanza(this, companion, { conversation: text }, { id, t: Math.floor(nowMs / 1000) });
    stanza.attrs.from = pnJid(this.pnUser);
    delete stanza.attrs.sender_lid;
    stanza.attrs.type = 'text';
    hub.deliver(companion.user, stanza);
    return id;
  }

  get name(): string | undefined {
    return undefined;
  }

  /** Message ids already shown (a phone de-duplicates by sender and id). */
  private readonly shown = new ShownIds();

  receive(msg: ReceivedMessage): void {
    if (this.shown.first(msg)) this.inbox.push(msg);
  }

  /** Sends the app-state key share and the empty initial history sync to `companion`. */
  async afterLink(hub: SimHub, companion: SimCompanion, nowMs: number): Promise<void> {
    const t = Math.floor(nowMs / 1000);
    const keyShare: proto.IMessage = {
      protocolMessage: {
        type: proto.Message.ProtocolMessage.Type.APP_STATE_SYNC_KEY_SHARE,
        appStateSyncKeyShare: {
          keys: [
            {
              keyId: { keyId: randomBytes(6) },
              keyData: {
                keyData: randomBytes(32),
                fingerprint: { rawId: randomBytes(4).readUInt32BE(0), currentIndex: 0, deviceIndexes: [0, companion.device] },
                timestamp: nowMs,
              },
            },
          ],
        },
      },
    };
    const history = proto.HistorySync.encode({
      syncType: proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP,
      conversations: [],
      progress: 100,
    }).finish();
    const historyNote: proto.IMessage = {
      protocolMessage: {
        type: proto.Message.ProtocolMessage.Type.HISTORY_SYNC_NOTIFICATION,
        historySyncNotification: {
          syncType: proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP,
          chunkOrder: 0,
          progress: 100,
          initialHistBootstrapInlinePayload: deflateSync(history),
        },
      },
    };
    for (const [msg, category] of [[keyShare, 'peer'], [historyNote, undefined]] as const) {
      const stanza = await directStanza(this, companion, msg, { id: hub.nextId(), t });
      stanza.attrs.from = pnJid(this.pnUser);
      delete stanza.attrs.sender_lid;
      if (category) stanza.attrs.category = category;
      stanza.attrs.type = 'text';
      hub.deliver(companion.user, stanza);
    }
  }
}
