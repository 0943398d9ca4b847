/**
 * The inbound message the gateway passes around (SPEC §5). Plain data, no Baileys
 * types: `src/whatsapp/normalize.ts` builds it from a Baileys `WAMessage`, and
 * everything past the WhatsApp edge (access policy, agent dispatch, history) reads
 * only this. Every field is JSON-serializable.
 */

/** Who sent a message (or who wrote a quoted message). */
export interface InboundSender {
  /** Sender JID without device part: `15551234567@s.whatsapp.net` or `123456789@lid`. */
  jid: string;
  /** `+15551234567` when known (phone JID, Baileys' alt address, or the LID lookup). */
  e164: string | null;
  /** `123456789@lid` when WhatsApp addressed the sender by LID. */
  lid: string | null;
  /** WhatsApp display name (`pushName`) when the message carried one. */
  name: string | null;
}

export type InboundMediaKind = 'image' | 'video' | 'audio' | 'document' | 'sticker';

/** `<media:image>` etc.: what the agent sees for a message without text. */
export type MediaPlaceholder = `<media:${InboundMediaKind}>`;

/** Describes attached media; the bytes are downloaded separately (mediaMaxMb). */
export interface InboundMedia {
  kind: InboundMediaKind;
  /** As sent, e.g. `image/jpeg`, `audio/ogg; codecs=opus`; `''` when absent. */
  mimetype: string;
  /** Documents: the file name the sender gave. */
  fileName?: string;
  /** Size in bytes as announced by the sender (not verified). */
  fileLength?: number;
  /** Audio: true for a voice note (push-to-talk). */
  ptt?: boolean;
  /** Audio/video duration in seconds. */
  seconds?: number;
  /** Video: sent as a looping GIF. */
  gifPlayback?: boolean;
}

/** The message this one replies to (WhatsApp "quoted" context). */
export interface InboundQuoted {
  /** Stanza id of the quoted message (`ReplyToId`). */
  id: string;
  /** Its text, or its readable form (placeholder, contact, location, poll). */
  body: string;
  /** Who wrote it (`contextInfo.participant`), null when WhatsApp did not say. */
  senderJid: string | null;
  /** That sender's E.164 when known (`ReplyToSender`). */
  senderE164: string | null;
}

/** A reaction to an earlier message. An empty `emoji` removes the reaction. */
export interface InboundReaction {
  /** Id of the message reacted to. */
  targetId: string;
  emoji: string;
  /** True when this reaction removes an earlier one (`emoji` is ''). */
  removed: boolean;
}

export interface InboundLocation {
  latitude: number;
  longitude: number;
  name: string | null;
  address: string | null;
  /** A live-location share (its first position). */
  live: boolean;
}

export interface InboundPoll {
  question: string;
  options: string[];
  /** How many options a voter may pick (0 = any number). */
  selectableCount: number;
}

export interface InboundContact {
  name: string;
  /** Phone numbers from the vCard, `+E164` when the card gave a WhatsApp id. */
  numbers: string[];
}

/**
 * What kind of content this is; `text` is always the readable form. The caller
 * decides what to do with `reaction` and `edit` (they are not new prompts).
 */
export type InboundKind = 'text' | 'media' | 'contacts' | 'location' | 'poll' | 'reaction' | 'edit';

export interface InboundMessage {
  /** Account (linked number) that received the message. */
  accountId: string;
  /** WhatsApp message id (stanza id); unique per chat and sender. */
  id: string;
  /** Where a reply goes: the chat JID as WhatsApp addressed it (no device part). */
  chatJid: string;
  /**
   * Stable chat identity for sessions and policy: E.164 for direct chats (the LID
   * when it cannot be resolved — never dropped), the group JID for groups.
   */
  chatId: string;
  chatType: 'direct' | 'group';
  /** The sender: the peer in a direct chat, the participant in a group. */
  from: InboundSender;
  /** Sent by the linked account itself (from this or another device). */
  fromMe: boolean;
  /** The direct chat with oneself ("Message yourself"); absent in groups. */
  isSelfChat?: boolean;
  /** When WhatsApp says it was sent, in ms since the epoch (0 when absent). */
  timestamp: number;
  /** Baileys upsert type: `notify` = live, `append` = catch-up/history. */
  upsertType: 'notify' | 'append';
  /** Delivered from WhatsApp's offline queue (catch-up after a disconnect). */
  offline: boolean;
  /**
   * A live message held behind its connection's offline backlog (src/whatsapp/inbound-order.ts):
   * recorded in the ledger when held, before older offline messages of its chat (resume orders by it).
   */
  held?: boolean;
  kind: InboundKind;
  /** Text, caption, or readable form of contacts/location/poll; '' when none. */
  text: string;
  /** Set for media; the agent sees `text || placeholder`. */
  placeholder?: MediaPlaceholder;
  media?: InboundMedia;
  /** The message this one replies to. */
  quoted?: InboundQuoted;
  /** JIDs @mentioned in the message (`contextInfo.mentionedJid`), possibly empty. */
  mentions: string[];
  reaction?: InboundReaction;
  location?: InboundLocation;
  poll?: InboundPoll;
  contacts?: InboundContact[];
  /** An edit of an earlier message: `text` is the new text. */
  edit?: { targetId: string };
  /** The sender's view-once or disappearing-message wrapper was unwrapped. */
  viewOnce?: boolean;
  ephemeral?: boolean;
  /** Set when forwarded (WhatsApp shows "Forwarded"). */
  forwarded?: boolean;
  /** Media saved under `<state>/media/inbound/` (src/media/inbound.ts), absolute path. */
  mediaPath?: string;
  /** Why the media was not saved, e.g. `not saved: 60 MB is over the 50 MB limit`. */
  mediaNote?: string;
}

/** Why a Baileys message is not an inbound message (for a debug log line). */
export type IgnoreReason =
  | 'no-key'
  | 'status-broadcast'
  | 'broadcast'
  | 'newsletter'
  | 'unsupported-chat'
  | 'no-sender'
  | 'stub'
  | 'empty'
  | 'protocol'
  | 'poll-vote'
  | 'unsupported';

export type NormalizeResult =
  | { ok: true; message: InboundMessage }
  | { ok: false; reason: IgnoreReason; detail?: string };
