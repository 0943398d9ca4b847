/**
 * What the agent sees for an inbound message (SPEC §5 "Message normalization",
 * "Groups" → history injection). Pure: the time zone is passed in.
 *
 *   [WhatsApp +15551234567 2024-05-01 09:30 UTC] hello
 *   [WhatsApp Team chat 2024-05-01 09:30 UTC] Alice (+15551234567): hello
 *
 * followed, for a quoted reply, by the `[Replying to …]` block.
 */
import type { InboundMessage, InboundSender } from '../ports/inbound.js';

export const HISTORY_START = '[Chat messages since your last reply - for context]';
export const HISTORY_CURRENT = '[Current message - respond to this]';

export interface EnvelopeOptions {
  /** IANA zone for the header time, e.g. `UTC`, `Europe/Berlin` (an unknown zone falls back to UTC). */
  timeZone: string;
  /** `channels.whatsapp.messagePrefix` (per-account): prefixes the inbound text. */
  messagePrefix?: string;
  /** Group subject from metadata; the group JID is used when unknown. */
  groupSubject?: string | null;
  /** Group messages skipped since the last reply (oldest first); see buildHistoryBlock. */
  history?: HistoryEntry[];
}

/** One skipped group message for the history block. */
export interface HistoryEntry {
  sender: Pick<InboundSender, 'name' | 'e164'> & Partial<Pick<InboundSender, 'jid' | 'lid'>>;
  /** Its text; typically the `Body` buildEnvelope made for it (already labelled). */
  body: string;
}

export interface Envelope {
  /** Everything the agent gets as the user turn. */
  Body: string;
  /** What the sender wrote: text, caption or readable form, else media placeholder. */
  RawBody: string;
  /** E.164 (or LID/JID when unresolved) in direct chats; the group JID in groups. */
  From: string;
  ChatType: 'direct' | 'group';
  /** `Name (+E164)` or the id alone. */
  SenderLabel: string;
  /** Set for quoted replies: stanza id, quoted body, quoted sender (E.164 when known). */
  ReplyToId?: string;
  ReplyToBody?: string;
  ReplyToSender?: string;
  /** WhatsApp id of the message and its chat, for the `whatsapp` tool's `react` (set by agent-dispatch). */
  MessageId?: string;
  ChatJid?: string;
  /** Inbound media saved under `<state>/media/inbound/` (src/media/inbound.ts). */
  MediaPath?: string;
  /** Its mimetype as sent, e.g. `image/jpeg` (set for media, saved or not). */
  MediaType?: string;
  /** Documents: the file name the sender gave. */
  MediaFileName?: string;
}

/** `text || placeholder`, plus `<media:…> (not saved: …)` when the media was not saved. */
export function rawBodyOf(msg: InboundMessage): string {
  const base = msg.text || msg.placeholder || '';
  if (!msg.mediaNote || !msg.placeholder) return base;
  const note = `${msg.placeholder} (${msg.mediaNote})`;
  return msg.text ? `${msg.text}\n${note}` : note;
}

/** `[media attached: <path> (<type>)]` for saved media, else ''. */
function mediaLine(msg: InboundMessage): string {
  if (!msg.mediaPath) return '';
  const type = msg.media?.mimetype || 'application/octet-stream';
  const name = msg.media?.fileName ? ` "${msg.media.fileName}"` : '';
  return `\n[media attached: ${msg.mediaPath} (${type})${name}]`;
}

/**
 * One formatter per configured zone: building an Intl.DateTimeFormat costs far
 * more than formatting with it, and every inbound message needs one. An unknown
 * zone maps to the UTC formatter. Zones come from config, so the map stays small.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    const options: Intl.DateTimeFormatOptions = {
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    };
    try {
      f = new Intl.DateTimeFormat('en-US', { ...options, timeZone });
    } catch {
      f = new Intl.DateTimeFormat('en-US', { ...options, timeZone: 'UTC' });
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** The last minute formatted per time zone (see formatEnvelopeTime); one entry per zone in use. */
const lastMinute = new Map<string, { minute: number; text: string }>();

/** `YYYY-MM-DD HH:MM TZ` in `timeZone` (TZ as Intl's short name: `UTC`, `EST`, `GMT+2`). */
export function formatEnvelopeTime(ms: number, timeZone: string): string {
  const at = Number.isFinite(ms) ? ms : 0;
  // The text changes once a minute at most (offset changes fall on whole minutes): the
  // last minute formatted per zone is kept, since Intl's formatToParts costs tens of µs.
  const minute = Math.floor(at / 60_000);
  const last = lastMinute.get(timeZone);
  if (last?.minute === minute) return last.text;
  const parts = formatterFor(timeZone).formatToParts(new Date(at));
  const get = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  const text = `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} ${get('timeZoneName')}`;
  lastMinute.set(timeZone, { minute, text });
  return text;
}

/** The sender's id for display: E.164, else LID, else JID. */
function senderId(sender: HistoryEntry['sender']): string {
  return sender.e164 ?? sender.lid ?? sender.jid ?? 'unknown';
}

/** `Name (+E164)`, or the id alone when there is no name. */
export function senderLabel(sender: HistoryEntry['sender']): string {
  const id = senderId(sender);
  const name = sender.name?.trim();
  return name && name !== id ? `${name} (${id})` : id;
}

/** The quoted-reply block, exactly as SPEC §5 shows it. */
export function quotedBlock(quoted: NonNullable<InboundMessage['quoted']>): string {
  const who = quoted.senderE164 ?? quoted.senderJid ?? 'unknown';
  return `[Replying to ${who} id:${quoted.id}]\n${quoted.body}\n[/Replying]`;
}

/**
 * Puts skipped group messages before the current one. Each entry carries its
 * sender: `[from: Name (+E164)]` is added when its body has no sender label.
 * No entries → `current` unchanged.
 */
export function buildHistoryBlock(entries: readonly HistoryEntry[], current: string): string {
  if (entries.length === 0) return current;
  const lines = entries.map((e) => {
    const label = senderLabel(e.sender);
    return e.body.includes(`${label}: `) ? e.body : `${e.body} [from: ${label}]`;
  });
  return `${HISTORY_START}\n${lines.join('\n')}\n\n${HISTORY_CURRENT}\n${current}`;
}

export function buildEnvelope(msg: InboundMessage, opts: EnvelopeOptions): Envelope {
  const raw = rawBodyOf(msg);
  const prefix = opts.messagePrefix?.trim();
  const text = prefix ? (raw ? `${prefix} ${raw}` : prefix) : raw;
  const label = senderLabel(msg.from);
  const isGroup = msg.chatType === 'group';
  const where = isGroup ? opts.groupSubject?.trim() || msg.chatJid : msg.chatId;
  const header = `[WhatsApp ${where} ${formatEnvelopeTime(msg.timestamp, opts.timeZone)}]`;
  let body = `${header} ${isGroup ? `${label}: ` : ''}${text}`.trimEnd() + mediaLine(msg);
  const envelope: Envelope = { Body: '', RawBody: raw, From: msg.chatId, ChatType: msg.chatType, SenderLabel: label };
  if (msg.media) {
    if (msg.mediaPath) envelope.MediaPath = msg.mediaPath;
    envelope.MediaType = msg.media.mimetype || 'application/octet-stream';
    if (msg.media.fileName) envelope.MediaFileName = msg.media.fileName;
  }
  if (msg.quoted) {
    body += `\n${quotedBlock(msg.quoted)}`;
    envelope.ReplyToId = msg.quoted.id;
    envelope.ReplyToBody = msg.quoted.body;
    const sender = msg.quoted.senderE164 ?? msg.quoted.senderJid;
    if (sender) envelope.ReplyToSender = sender;
  }
  envelope.Body = isGroup && opts.history ? buildHistoryBlock(opts.history, body) : body;
  return envelope;
}
