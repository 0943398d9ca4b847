/**
 * One inbound message turned into an agent turn: the history the model gets
 * (DM limits and `session.idle`), the group context to inject (skipping messages
 * already in the session), the envelope, and the session entries to append.
 */
import { parseDuration, type AccountConfig, type WagateConfig } from '../config/index.js';
import type { InboundMessage } from '../ports/inbound.js';
import { buildEnvelope, senderLabel } from './envelope.js';
import type { EnvelopeLike } from './providers/types.js';
import { dmHistoryLimitFor, type HistoryOptions, type HistorySnapshot } from './session-history.js';
import type { SessionEntry, SessionStore } from './session-store.js';

export interface EnvelopeInput {
  account: AccountConfig | undefined;
  /** Group: gated messages to inject before the current one (not yet in the session). */
  history: InboundMessage[];
  /** Group subject when known (else the envelope shows the JID). */
  groupSubject: string | null;
}

/** Builds what the agent sees; the dispatch actor adapts `buildEnvelope` (envelope.ts) to this. */
export type EnvelopeBuilder = (message: InboundMessage, input: EnvelopeInput) => EnvelopeLike;

export interface PreparedTurn {
  envelope: EnvelopeLike;
  /** Copied only when the provider reads it (session-history.ts HistorySnapshot). */
  history: HistorySnapshot;
  /** Injected context (groups) then the current user turn, to append before the run. */
  entries: SessionEntry[];
}

/**
 * The envelope builder over `buildEnvelope` (envelope.ts): the account's
 * messagePrefix, the group subject, and each injected message as its own
 * labelled Body in the history block.
 */
export function envelopeBuilder(timeZone: string): EnvelopeBuilder {
  return (message, { account, history, groupSubject }) => {
    const base = {
      timeZone,
      groupSubject,
      ...(account?.messagePrefix ? { messagePrefix: account.messagePrefix } : {}),
    };
    const entries = history.map((m) => ({ sender: m.from, body: buildEnvelope(m, base).Body }));
    return buildEnvelope(message, { ...base, history: entries });
  };
}

/** The message's own readable text: the text, else the media placeholder. */
export function messageText(m: InboundMessage): string {
  return m.text || m.placeholder || '';
}

export function userEntry(m: InboundMessage, at: number): SessionEntry {
  return { role: 'user', text: messageText(m), at, messageId: m.id, chatJid: m.chatJid, sender: senderLabel(m.from) };
}

/** History limits for a session: DMs get dmHistoryLimit / dms[phone] and session.idle. */
export function historyOptions(
  config: WagateConfig,
  account: AccountConfig | undefined,
  message: Pick<InboundMessage, 'chatType' | 'chatId'>,
  now: number,
): HistoryOptions {
  if (message.chatType !== 'direct') return {};
  const idle = idleMsOf(config);
  return {
    userTurns: account ? dmHistoryLimitFor(account, message.chatId) : undefined,
    ...(idle !== null ? { idleMs: idle, now } : {}),
  };
}

/** `session.idle` in ms (null: off), parsed once per loaded config. */
const idleMs = new WeakMap<WagateConfig, number | null>();
function idleMsOf(config: WagateConfig): number | null {
  let ms = idleMs.get(config);
  if (ms === undefined) idleMs.set(config, (ms = config.session.idle ? parseDuration(config.session.idle) : null));
  return ms;
}

export async function prepareTurn(opts: {
  config: WagateConfig;
  account: AccountConfig | undefined;
  store: SessionStore;
  sessionKey: string;
  message: InboundMessage;
  injected: InboundMessage[];
  groupSubject: string | null;
  buildEnvelope: EnvelopeBuilder;
  now: number;
}): Promise<PreparedTurn> {
  const { store, sessionKey, message } = opts;
  // A message resumed after a restart may already be in the session (its user turn was
  // appended before the crash): it is not appended twice, nor shown twice to the agent.
  const { history: stored, has: resumed } = await store.snapshotAndHas(
    sessionKey,
    message.id,
    historyOptions(opts.config, opts.account, message, opts.now),
  );
  const history = resumed ? stored.without(message.id) : stored;
  const fresh: InboundMessage[] = [];
  for (const m of opts.injected) {
    if (m.id === message.id || (await store.has(sessionKey, m.id))) continue;
    fresh.push(m);
  }
  const envelope = opts.buildEnvelope(message, {
    account: opts.account,
    history: fresh,
    groupSubject: opts.groupSubject,
  });
  const entries = [...fresh.map((m) => userEntry(m, m.timestamp || opts.now)), ...(resumed ? [] : [userEntry(message, opts.now)])];
  return { envelope, history, entries };
}
