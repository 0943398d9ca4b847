/**
 * Message stanzas between simulated parties and a linked companion: building the
 * encrypted `<message>` a party sends, and opening the `<enc>` nodes the
 * companion addressed to a party (1:1 `pkmsg`/`msg`, group `skmsg`).
 */
import {
  encodeWAMessage,
  getBinaryNodeChild,
  getBinaryNodeChildren,
  proto,
  unpadRandomMax16,
  type BinaryNode,
} from '@whiskeysockets/baileys';
import type { SimCompanion } from '../hub.js';
import type { EncType, SignalParty } from './signal.js';

/** A simulated party: a contact's device or an account's primary phone (device 0). */
export interface Party {
  kind: 'contact' | 'phone';
  /** Phone number user part. */
  pnUser: string;
  lidUser: string;
  name?: string;
  signal: SignalParty;
  /** Called with every message the linked account sent to this party (decrypted). */
  receive(msg: ReceivedMessage): void;
}

/** A message a simulated party received from a linked account, decrypted. */
export interface ReceivedMessage {
  id: string;
  message: proto.IMessage;
  /** The sending companion's device jid. */
  from: string;
  /** The chat: the party's own jid for 1:1, the group jid for groups. */
  chat: string;
  /** Unix ms. */
  at: number;
}

/**
 * What a phone has already shown: WhatsApp clients show a message id once per sender
 * (a message sent again under its id — a retry, a resumed reply — is not shown twice).
 */
export class ShownIds {
  private readonly seen = new Set<string>();
  /** True the first time this sender's (any device) message id is seen. */
  first(msg: Pick<ReceivedMessage, 'id' | 'from'>): boolean {
    const sender = msg.from.split('@')[0]!.split(':')[0]!;
    const key = `${sender}\u0000${msg.id}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }
}

export const pnJid = (user: string): string => `${user}@s.whatsapp.net`;
export const lidJid = (user: string): string => `${user}@lid`;

/** The stanza `type` attribute for a message. */
export function stanzaType(msg: proto.IMessage): string {
  if (msg.reactionMessage) return 'reaction';
  const media = mediaType(msg);
  return media ? 'media' : 'text';
}

/** The `mediatype` attribute of an `<enc>` carrying media, if any. */
export function mediaType(msg: proto.IMessage): string | undefined {
  if (msg.imageMessage) return 'image';
  if (msg.videoMessage) return msg.videoMessage.gifPlayback ? 'gif' : 'video';
  if (msg.audioMessage) return msg.audioMessage.ptt ? 'ptt' : 'audio';
  if (msg.documentMessage) return 'document';
  if (msg.stickerMessage) return 'sticker';
  if (msg.contactMessage) return 'vcard';
  if (msg.locationMessage) return 'location';
  return undefined;
}

function encNode(type: string, ciphertext: Uint8Array, msg: proto.IMessage): BinaryNode {
  const attrs: Record<string, string> = { v: '2', type };
  const media = mediaType(msg);
  if (media) attrs.mediatype = media;
  return { tag: 'enc', attrs, content: ciphertext };
}

/** Encrypts `msg` from `party` to `companion` and builds the 1:1 stanza. */
export async function directStanza(
  party: Party,
  companion: SimCompanion,
  msg: proto.IMessage,
  meta: { id: string; t: number; as?: 'pn' | 'lid' },
): Promise<BinaryNode> {
  const { type, ciphertext } = await party.signal.encrypt(companion.jid, encodeWAMessage(msg), companion.keys);
  // By phone number with the LID beside it, or (`as: 'lid'`) by LID alone, as WhatsApp
  // addresses a contact who hides their number: no phone number in the stanza.
  const attrs: Record<string, string> = {
    from: meta.as === 'lid' ? lidJid(party.lidUser) : pnJid(party.pnUser),
    id: meta.id,
    t: String(meta.t),
    type: stanzaType(msg),
  };
  if (meta.as !== 'lid') attrs.sender_lid = lidJid(party.lidUser);
  if (party.name) attrs.notify = party.name;
  return { tag: 'message', attrs, content: [encNode(type, ciphertext, msg)] };
}

/**
 * Encrypts a group message from `party` for `companion`: a `pkmsg`/`msg` with the
 * sender key distribution message (until the companion has it), then the `skmsg`.
 */
export async function groupStanza(
  party: Party,
  companion: SimCompanion,
  groupJid: string,
  msg: proto.IMessage,
  meta: { id: string; t: number; withSenderKey: boolean },
): Promise<BinaryNode> {
  const self = pnJid(party.pnUser);
  const { ciphertext, skdm } = await party.signal.groupEncrypt(groupJid, self, encodeWAMessage(msg));
  const content: BinaryNode[] = [];
  if (meta.withSenderKey) {
    const dist: proto.IMessage = {
      senderKeyDistributionMessage: { groupId: groupJid, axolotlSenderKeyDistributionMessage: skdm },
    };
    const pair = await party.signal.encrypt(companion.jid, encodeWAMessage(dist), companion.keys);
    content.push({ tag: 'enc', attrs: { v: '2', type: pair.type }, content: pair.ciphertext });
  }
  content.push(encNode('skmsg', ciphertext, msg));
  const attrs: Record<string, string> = {
    from: groupJid,
    participant: self,
    participant_lid: lidJid(party.lidUser),
    id: meta.id,
    t: String(meta.t),
    type: stanzaType(msg),
  };
  if (party.name) attrs.notify = party.name;
  return { tag: 'message', attrs, content };
}

const decodePadded = (bytes: Uint8Array): proto.Message => proto.Message.decode(unpadRandomMax16(bytes));

/** Bytes of a node's content, if it is binary. */
export function nodeBytes(node: BinaryNode | undefined): Uint8Array | undefined {
  const c = node?.content;
  return c instanceof Uint8Array ? c : undefined;
}

/** One recipient device inside an outgoing `<message>`: `<to jid><enc/></to>`. */
export interface Addressed {
  jid: string;
  enc: BinaryNode;
}

/** The `<participants><to>` entries of a stanza the companion sent. */
export function addressedEncs(node: BinaryNode): Addressed[] {
  const participants = getBinaryNodeChild(node, 'participants');
  const out: Addressed[] = [];
  for (const to of getBinaryNodeChildren(participants, 'to')) {
    const enc = getBinaryNodeChild(to, 'enc');
    if (enc && to.attrs.jid) out.push({ jid: to.attrs.jid, enc });
  }
  return out;
}

/**
 * Opens a `pkmsg`/`msg` addressed to `party` from `senderJid`. A sender key
 * distribution message inside is taken in for later `skmsg`s; a
 * `deviceSentMessage` wrapper (the phone's copy) is unwrapped.
 */
export async function openDirect(party: Party, senderJid: string, enc: BinaryNode): Promise<proto.Message> {
  const bytes = nodeBytes(enc);
  if (!bytes) throw new Error('sim: <enc> without bytes');
  const type = enc.attrs.type as EncType;
  let msg = decodePadded(await party.signal.decrypt(senderJid, type, bytes));
  const skd = msg.senderKeyDistributionMessage;
  if (skd?.groupId && skd.axolotlSenderKeyDistributionMessage) {
    await party.signal.processSenderKey(skd.groupId, senderJid, skd.axolotlSenderKeyDistributionMessage);
  }
  if (msg.deviceSentMessage?.message) msg = proto.Message.create(msg.deviceSentMessage.message);
  return msg;
}

/** Opens the group `skmsg` of a stanza for `party`. */
export async function openGroup(party: Party, groupJid: string, senderJid: string, enc: BinaryNode): Promise<proto.Message> {
  const bytes = nodeBytes(enc);
  if (!bytes) throw new Error('sim: <enc> without bytes');
  return decodePadded(await party.signal.groupDecrypt(groupJid, senderJid, bytes));
}

/** True when a decoded message carries only a sender key (nothing to show). */
export function isOnlySenderKey(msg: proto.IMessage): boolean {
  const keys = Object.keys(proto.Message.toObject(proto.Message.create(msg))).filter((k) => k !== 'messageContextInfo');
  return keys.length === 1 && keys[0] === 'senderKeyDistributionMessage';
}
