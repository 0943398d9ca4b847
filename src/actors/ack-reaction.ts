/**
 * Ack reactions (SPEC §5 `ackReaction`, per-account): `{emoji, direct, group}`,
 * sent at once when a message is accepted, before typing or the reply.
 * Empty emoji = off. Direct chats: when `direct`. Groups: `always`, `mentions`
 * (only when the bot was mentioned or the group's activation is `always`) or
 * `never`; group reactions carry the participant JID. Fire-and-forget: a failed
 * reaction is logged and never blocks the reply.
 */
import type { AccountConfig } from '../config/index.js';
import type { MessageRoute } from '../bus/events.js';
import type { ActorDeps, RunningActor } from './actor.js';
import type { InboundMessage } from '../ports/inbound.js';
import { subLogger } from '../log.js';

/** Should this accepted message get the ack reaction? */
export function shouldAck(ack: AccountConfig['ackReaction'], message: Pick<InboundMessage, 'chatType'>, route: MessageRoute): boolean {
  if (ack.emoji === '') return false;
  if (message.chatType === 'direct') return ack.direct;
  if (ack.group === 'always') return true;
  if (ack.group === 'never') return false;
  return route.wasMentioned || route.activation === 'always';
}

export function startAckReaction(deps: ActorDeps): RunningActor {
  const log = subLogger(deps.logger, 'whatsapp/outbound');
  const counts = { sent: 0, failed: 0 };

  const off = deps.bus.on('message.accepted', ({ accountId, message, route }) => {
    const ack = deps.accounts.get(accountId)?.ackReaction;
    if (!ack || !shouldAck(ack, message, route)) return undefined;
    const ref = {
      chatJid: message.chatJid,
      id: message.id,
      fromMe: message.fromMe,
      ...(message.chatType === 'group' ? { participant: message.from.jid } : {}),
    };
    return (async () => {
      try {
        // Nothing leaves for WhatsApp before the message's ledger record is committed.
        await deps.store.committed();
        await deps.connection(accountId).react(ref, ack.emoji);
        counts.sent += 1;
      } catch (err) {
        counts.failed += 1;
        log.warn({ err, accountId, id: message.id }, 'ack reaction failed');
      }
    })();
  });
  return { name: 'ack-reaction', summary: () => ({ ...counts }), stop: off };
}
