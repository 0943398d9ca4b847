/**
 * One group message through access and activation (SPEC §5 "Groups"): the pure
 * decision the access-policy actor acts on.
 */
import type { AccountConfig } from '../../config/index.js';
import type { InboundMessage } from '../../ports/inbound.js';
import type { LinkedIdentity } from '../../ports/transport.js';
import { isOwner, parseActivationCommand } from '../commands/activation-command.js';
import type { Activation } from './activation-store.js';
import { effectiveActivation, groupAccess, wasMentioned } from './group-policy.js';

export type GroupDecision =
  | { kind: 'drop'; reason: string; markRead: boolean }
  | { kind: 'command'; activation: Activation }
  | { kind: 'gated'; reason: string; activation: Activation }
  | { kind: 'accept'; wasMentioned: boolean; activation: Activation };

export interface GroupGateInput {
  account: AccountConfig;
  message: InboundMessage;
  identity: LinkedIdentity | null;
  stored: Activation | undefined;
  patterns: readonly RegExp[];
}

export function decideGroup({ account, message, identity, stored, patterns }: GroupGateInput): GroupDecision {
  const access = groupAccess(account, message);
  if (!access.ok) return { kind: 'drop', reason: access.reason, markRead: false };

  const command = parseActivationCommand(message.text);
  if (command) {
    if (isOwner(message, account.allowFrom, identity)) return { kind: 'command', activation: command };
    return { kind: 'drop', reason: 'activation-not-owner', markRead: true };
  }
  // Our own messages in a group (replies we sent, or the owner typing on a personal number).
  if (message.fromMe) return { kind: 'drop', reason: 'from-me', markRead: false };

  const activation = effectiveActivation(stored, access.requireMention);
  const mentioned = wasMentioned(message, {
    self: identity,
    patterns,
    ignoreJids: account.selfChatMode,
  });
  if (activation === 'always' || mentioned) return { kind: 'accept', wasMentioned: mentioned, activation };
  return { kind: 'gated', reason: 'not-mentioned', activation };
}
