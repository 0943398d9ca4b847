/**
 * Baileys `WAMessage` → `InboundMessage` (SPEC §5). Pure: no I/O, never throws,
 * and the only place that reads Baileys message shapes. What must be ignored
 * (status/broadcast/newsletter chats, protocol messages, empty stubs, poll votes)
 * comes back as `{ ok: false, reason }` so the caller can log why.
 */
import type { WAMessage } from '@whiskeysockets/baileys';
import type { InboundMessage, InboundQuoted, InboundSender, NormalizeResult } from '../ports/inbound.js';
import { describeContent, quotedBody, unwrapContent } from './normalize-content.js';
import { bareJid, classifyChat, isLidJid, isPhoneJid, isSelf, jidToE164, toE164 } from './address.js';
import { boolAt, field, numAt, rec, recAt, strAt, strListAt, type Rec } from './normalize-read.js';

export interface NormalizeContext {
  accountId: string;
  /** The linked account: device JID, E.164 and LID when known. */
  self: { jid: string; e164: string | null; lid?: string | null };
  upsertType: 'notify' | 'append';
  /** From WhatsApp's offline queue; defaults to `upsertType === 'append'`. */
  offline?: boolean;
  /** LID → E.164 (`+1555…`) when a mapping is known; null otherwise. May throw (treated as null). */
  lidToE164?: (lid: string) => string | null;
}

function lookupLid(ctx: NormalizeContext, lid: string): string | null {
  try {
    const found = ctx.lidToE164?.(lid);
    return toE164(found);
  } catch {
    return null;
  }
}

/** A person addressed by `jid`, with Baileys' alternate address (`remoteJidAlt`/`participantAlt`). */
function resolvePerson(ctx: NormalizeContext, jid: string, alt: string | undefined, name: string | null): InboundSender {
  const j = bareJid(jid);
  const a = alt ? bareJid(alt) : undefined;
  if (isLidJid(j)) {
    const e164 = (a && jidToE164(a)) || lookupLid(ctx, j);
    return { jid: j, e164, lid: j, name };
  }
  if (isPhoneJid(j)) return { jid: j, e164: jidToE164(j), lid: a && isLidJid(a) ? a : null, name };
  return { jid: j, e164: null, lid: null, name };
}

function selfSender(ctx: NormalizeContext, name: string | null): InboundSender {
  return {
    jid: bareJid(ctx.self.jid),
    e164: ctx.self.e164,
    lid: ctx.self.lid ? bareJid(ctx.self.lid) : null,
    name,
  };
}

function quotedFrom(ctx: NormalizeContext, contextInfo: Rec | undefined): InboundQuoted | undefined {
  const id = strAt(contextInfo, 'stanzaId');
  if (!id) return undefined;
  const participant = strAt(contextInfo, 'participant');
  let senderJid: string | null = null;
  let senderE164: string | null = null;
  if (participant) {
    const who = isSelf(participant, ctx.self) ? selfSender(ctx, null) : resolvePerson(ctx, participant, undefined, null);
    senderJid = bareJid(participant);
    senderE164 = who.e164;
  }
  return { id, body: quotedBody(field(contextInfo, 'quotedMessage')), senderJid, senderE164 };
}

function normalizeUnsafe(raw: unknown, ctx: NormalizeContext): NormalizeResult {
  const msg = rec(raw);
  const key = recAt(msg, 'key');
  const remoteJid = strAt(key, 'remoteJid');
  const id = strAt(key, 'id');
  if (!remoteJid || !id) return { ok: false, reason: 'no-key' };
  const chatClass = classifyChat(remoteJid);
  if (chatClass === 'status-broadcast' || chatClass === 'broadcast' || chatClass === 'newsletter') {
    return { ok: false, reason: chatClass };
  }
  if (chatClass === 'other') return { ok: false, reason: 'unsupported-chat', detail: remoteJid };
  const message = field(msg, 'message');
  if (message == null && numAt(msg, 'messageStubType')) return { ok: false, reason: 'stub', detail: String(numAt(msg, 'messageStubType')) };
  const unwrapped = unwrapContent(message);
  const described = describeContent(unwrapped.content);
  if ('ignore' in described) return { ok: false, reason: described.ignore, detail: described.detail };

  const fromMe = boolAt(key, 'fromMe');
  const name = strAt(msg, 'pushName') ?? null;
  const chatJid = bareJid(remoteJid);
  let from: InboundSender;
  let chatId: string;
  let isSelfChat: boolean | undefined;
  if (chatClass === 'group') {
    const participant = strAt(key, 'participant') ?? strAt(msg, 'participant');
    if (fromMe || (participant && isSelf(participant, ctx.self))) from = selfSender(ctx, name);
    else if (participant) from = resolvePerson(ctx, participant, strAt(key, 'participantAlt'), name);
    else return { ok: false, reason: 'no-sender' };
    chatId = chatJid;
  } else {
    const peer = resolvePerson(ctx, remoteJid, strAt(key, 'remoteJidAlt'), fromMe ? null : name);
    from = fromMe ? selfSender(ctx, name) : peer;
    chatId = peer.e164 ?? peer.lid ?? peer.jid;
    isSelfChat = isSelf(remoteJid, ctx.self) || isSelf(peer.e164, ctx.self);
  }

  const contextInfo = described.contextInfo;
  const seconds = numAt(msg, 'messageTimestamp');
  const out: InboundMessage = {
    accountId: ctx.accountId,
    id,
    chatJid,
    chatId,
    chatType: chatClass,
    from,
    fromMe,
    timestamp: seconds !== undefined && seconds > 0 ? Math.round(seconds * 1000) : 0,
    upsertType: ctx.upsertType,
    offline: ctx.offline ?? ctx.upsertType === 'append',
    kind: described.kind,
    text: described.text,
    mentions: strListAt(contextInfo, 'mentionedJid'),
  };
  if (isSelfChat !== undefined) out.isSelfChat = isSelfChat;
  if (described.placeholder) out.placeholder = described.placeholder;
  if (described.media) out.media = described.media;
  const quoted = quotedFrom(ctx, contextInfo);
  if (quoted) out.quoted = quoted;
  if (described.reaction) out.reaction = described.reaction;
  if (described.location) out.location = described.location;
  if (described.poll) out.poll = described.poll;
  if (described.contacts) out.contacts = described.contacts;
  if (described.edit) out.edit = described.edit;
  if (unwrapped.viewOnce) out.viewOnce = true;
  if (unwrapped.ephemeral) out.ephemeral = true;
  if (boolAt(contextInfo, 'isForwarded')) out.forwarded = true;
  return { ok: true, message: out };
}

/**
 * Normalizes one upserted message. Total: any input (even malformed) gives a
 * result; an unexpected internal failure is reported as `unsupported` with a
 * detail starting `internal:` (a bug; the tests assert it never happens).
 */
export function normalizeMessage(msg: WAMessage, ctx: NormalizeContext): NormalizeResult {
  try {
    return normalizeUnsafe(msg, ctx);
  } catch (err) {
    return { ok: false, reason: 'unsupported', detail: `internal: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** The text the agent sees for a message: its text, else its media placeholder. */
export function inboundBody(msg: Pick<InboundMessage, 'text' | 'placeholder'>): string {
  return msg.text || msg.placeholder || '';
}
