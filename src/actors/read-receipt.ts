/**
 * Read receipts (SPEC §5 `sendReadReceipts`, per-account, default true): blue
 * ticks for accepted messages, gated group messages, and dropped ones the policy
 * still marks read. Never in self-chat, never for our own messages; under
 * `selfChatMode` (a personal number) only accepted messages are marked read, so
 * the owner's unread group chatter stays unread on the phone. Fire-and-forget:
 * a failure is logged and changes nothing else.
 */
import type { ActorDeps, RunningActor } from './actor.js';
import type { InboundMessage } from '../ports/inbound.js';
import { subLogger } from '../log.js';

export function startReadReceipt(deps: ActorDeps): RunningActor {
  const log = subLogger(deps.logger, 'whatsapp/outbound');
  const counts = { marked: 0, skipped: 0, failed: 0 };

  const mark = (accountId: string, message: InboundMessage, accepted: boolean): Promise<void> | undefined => {
    const account = deps.accounts.get(accountId);
    const allowed =
      account?.sendReadReceipts === true &&
      message.isSelfChat !== true &&
      !message.fromMe &&
      (accepted || !account.selfChatMode);
    if (!allowed) {
      counts.skipped += 1;
      return undefined;
    }
    const ref = {
      chatJid: message.chatJid,
      id: message.id,
      ...(message.chatType === 'group' ? { participant: message.from.jid } : {}),
    };
    return (async () => {
      try {
        // Nothing leaves for WhatsApp before the message's ledger record is committed.
        await deps.store.committed();
        await deps.connection(accountId).markRead([ref]);
        counts.marked += 1;
      } catch (err) {
        counts.failed += 1;
        log.warn({ err, accountId, id: message.id }, 'read receipt failed');
      }
    })();
  };

  const offs = [
    deps.bus.on('message.accepted', ({ accountId, message }) => mark(accountId, message, true)),
    deps.bus.on('message.gated', ({ accountId, message }) => mark(accountId, message, false)),
    deps.bus.on('message.dropped', ({ accountId, message, markRead }) =>
      markRead ? mark(accountId, message, false) : undefined,
    ),
  ];
  return {
    name: 'read-receipt',
    summary: () => ({ ...counts }),
    stop: () => offs.forEach((off) => off()),
  };
}
