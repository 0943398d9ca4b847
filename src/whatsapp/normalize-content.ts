/**
 * Message content → readable form (SPEC §5 "Message normalization"): wrappers
 * (ephemeral, view-once, documentWithCaption, edited, device-sent) unwrapped;
 * text, captions, media placeholders, contacts, locations, polls, reactions and
 * edits recognized. Works on untrusted decoded protobufs; never throws.
 */
import type {
  IgnoreReason,
  InboundContact,
  InboundKind,
  InboundLocation,
  InboundMedia,
  InboundMediaKind,
  InboundPoll,
  InboundReaction,
  MediaPlaceholder,
} from '../ports/inbound.js';
import { boolAt, field, numAt, rec, recAt, recListAt, strAt, type Rec } from './normalize-read.js';
import { formatContact, parseVcard } from './normalize-vcard.js';

/** Wrappers whose `.message` holds the real content. */
const WRAPPERS = [
  'ephemeralMessage',
  'viewOnceMessage',
  'viewOnceMessageV2',
  'viewOnceMessageV2Extension',
  'documentWithCaptionMessage',
  'editedMessage',
  'deviceSentMessage',
  'associatedChildMessage',
  'botInvokeMessage',
  'lottieStickerMessage',
] as const;

export interface Unwrapped {
  content: Rec | undefined;
  viewOnce: boolean;
  ephemeral: boolean;
}

export function unwrapContent(message: unknown): Unwrapped {
  let content = rec(message);
  let viewOnce = false;
  let ephemeral = false;
  for (let depth = 0; depth < 8 && content; depth++) {
    const key = WRAPPERS.find((w) => recAt(content, w) !== undefined);
    if (!key) break;
    if (key.startsWith('viewOnce')) viewOnce = true;
    if (key === 'ephemeralMessage') ephemeral = true;
    const inner = recAt(recAt(content, key), 'message');
    if (!inner) break;
    content = inner;
  }
  return { content, viewOnce, ephemeral };
}

export interface Described {
  kind: InboundKind;
  text: string;
  placeholder?: MediaPlaceholder;
  media?: InboundMedia;
  location?: InboundLocation;
  poll?: InboundPoll;
  contacts?: InboundContact[];
  reaction?: InboundReaction;
  edit?: { targetId: string };
  /** The `contextInfo` of the content (quoted message, mentions). */
  contextInfo?: Rec;
}

export type DescribeResult = Described | { ignore: IgnoreReason; detail?: string };

const MEDIA_KEYS: ReadonlyArray<[string, InboundMediaKind]> = [
  ['imageMessage', 'image'],
  ['videoMessage', 'video'],
  ['ptvMessage', 'video'],
  ['audioMessage', 'audio'],
  ['documentMessage', 'document'],
  ['stickerMessage', 'sticker'],
];

const POLL_KEYS = ['pollCreationMessage', 'pollCreationMessageV2', 'pollCreationMessageV3', 'pollCreationMessageV5'];

/** Keys that ride along with real content and carry nothing to show. */
const SIDE_KEYS = new Set(['senderKeyDistributionMessage', 'messageContextInfo']);

const PROTOCOL_MESSAGE_EDIT = 14;

function describeMedia(m: Rec, kind: InboundMediaKind): Described {
  const media: InboundMedia = { kind, mimetype: strAt(m, 'mimetype') ?? '' };
  const fileName = strAt(m, 'fileName');
  if (fileName) media.fileName = fileName;
  const fileLength = numAt(m, 'fileLength');
  if (fileLength !== undefined) media.fileLength = fileLength;
  const seconds = numAt(m, 'seconds');
  if (seconds !== undefined && (kind === 'audio' || kind === 'video')) media.seconds = seconds;
  if (kind === 'audio') media.ptt = boolAt(m, 'ptt');
  if (kind === 'video' && boolAt(m, 'gifPlayback')) media.gifPlayback = true;
  return {
    kind: 'media',
    text: strAt(m, 'caption') ?? '',
    placeholder: `<media:${kind}>`,
    media,
    contextInfo: recAt(m, 'contextInfo'),
  };
}

function describeLocation(m: Rec, live: boolean): Described | undefined {
  const latitude = numAt(m, 'degreesLatitude');
  const longitude = numAt(m, 'degreesLongitude');
  if (latitude === undefined || longitude === undefined) return undefined;
  const location: InboundLocation = {
    latitude,
    longitude,
    name: strAt(m, 'name') ?? null,
    address: strAt(m, 'address') ?? null,
    live,
  };
  const label = [location.name, location.address].filter(Boolean).join(', ');
  const coords = `${latitude}, ${longitude}`;
  const head = `${live ? 'Live location' : 'Location'}: ${label ? `${label} (${coords})` : coords}`;
  const note = strAt(m, 'comment') ?? strAt(m, 'caption');
  return { kind: 'location', text: note ? `${head}\n${note}` : head, location, contextInfo: recAt(m, 'contextInfo') };
}

function describePoll(m: Rec): Described {
  const options = recListAt(m, 'options')
    .map((o) => strAt(o, 'optionName'))
    .filter((o): o is string => !!o);
  const poll: InboundPoll = { question: strAt(m, 'name') ?? '', options, selectableCount: numAt(m, 'selectableOptionsCount') ?? 0 };
  const lines = [`Poll: ${poll.question}`, ...options.map((o, i) => `${i + 1}. ${o}`)];
  return { kind: 'poll', text: lines.join('\n'), poll, contextInfo: recAt(m, 'contextInfo') };
}

function describeContacts(cards: Rec[], contextInfo: Rec | undefined): Described {
  const contacts = cards.map((c) => parseVcard(strAt(c, 'vcard') ?? '', strAt(c, 'displayName')));
  const text = contacts.map((c) => `Contact: ${formatContact(c)}`).join('\n');
  return { kind: 'contacts', text, contacts, contextInfo };
}

function describeProtocol(p: Rec): DescribeResult {
  const edited = recAt(p, 'editedMessage');
  const targetId = strAt(recAt(p, 'key'), 'id');
  if (numAt(p, 'type') === PROTOCOL_MESSAGE_EDIT && edited && targetId) {
    const inner = describeContent(unwrapContent(edited).content);
    if ('ignore' in inner) return inner;
    return { ...inner, kind: 'edit', edit: { targetId } };
  }
  return { ignore: 'protocol', detail: String(field(p, 'type') ?? 'unknown') };
}

/** Describes unwrapped content; `{ignore}` for what carries nothing to handle. */
export function describeContent(content: Rec | undefined): DescribeResult {
  if (!content) return { ignore: 'empty' };
  const conversation = strAt(content, 'conversation');
  const ext = recAt(content, 'extendedTextMessage');
  if (ext && strAt(ext, 'text')) return { kind: 'text', text: strAt(ext, 'text') ?? '', contextInfo: recAt(ext, 'contextInfo') };
  if (conversation) return { kind: 'text', text: conversation };
  for (const [key, kind] of MEDIA_KEYS) {
    const m = recAt(content, key);
    if (m) return describeMedia(m, kind);
  }
  const contact = recAt(content, 'contactMessage');
  if (contact) return describeContacts([contact], recAt(contact, 'contextInfo'));
  const contactsArray = recAt(content, 'contactsArrayMessage');
  if (contactsArray) return describeContacts(recListAt(contactsArray, 'contacts'), recAt(contactsArray, 'contextInfo'));
  const loc = recAt(content, 'locationMessage');
  const locDescribed = loc && describeLocation(loc, false);
  if (locDescribed) return locDescribed;
  const live = recAt(content, 'liveLocationMessage');
  const liveDescribed = live && describeLocation(live, true);
  if (liveDescribed) return liveDescribed;
  for (const key of POLL_KEYS) {
    const m = recAt(content, key);
    if (m) return describePoll(m);
  }
  const reaction = recAt(content, 'reactionMessage');
  const targetId = strAt(recAt(reaction, 'key'), 'id');
  if (reaction && targetId) {
    const emoji = strAt(reaction, 'text') ?? '';
    return { kind: 'reaction', text: emoji, reaction: { targetId, emoji, removed: emoji === '' } };
  }
  const choice = describeChoice(content);
  if (choice) return choice;
  if (recAt(content, 'pollUpdateMessage')) return { ignore: 'poll-vote' };
  const protocol = recAt(content, 'protocolMessage');
  if (protocol) return describeProtocol(protocol);
  const keys = Object.keys(content).filter((k) => !SIDE_KEYS.has(k) && field(content, k) != null);
  if (keys.length === 0 || (keys.length === 1 && keys[0] === 'conversation')) return { ignore: 'empty' };
  return { ignore: 'unsupported', detail: keys.slice(0, 3).join(',') };
}

/** Button and list answers: the chosen label is the text. */
function describeChoice(content: Rec): Described | undefined {
  const buttons = recAt(content, 'buttonsResponseMessage');
  const list = recAt(content, 'listResponseMessage');
  const template = recAt(content, 'templateButtonReplyMessage');
  const text =
    strAt(buttons, 'selectedDisplayText') ??
    strAt(list, 'title') ??
    strAt(template, 'selectedDisplayText') ??
    strAt(recAt(recAt(content, 'interactiveResponseMessage'), 'body'), 'text');
  if (!text) return undefined;
  return { kind: 'text', text, contextInfo: recAt(buttons ?? list ?? template, 'contextInfo') };
}

/** Readable body of a quoted message: its text, else its placeholder. */
export function quotedBody(message: unknown): string {
  const d = describeContent(unwrapContent(message).content);
  if ('ignore' in d) return '';
  return d.text || d.placeholder || '';
}
