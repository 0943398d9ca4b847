/**
 * `/activation mention|always` (SPEC §5): owner only, the whole message, per group.
 * Owner = `allowFrom` (without `"*"`), or the linked E.164 when that is empty; the
 * linked number itself (fromMe) is always the owner.
 */
import type { InboundMessage } from '../../ports/inbound.js';
import type { LinkedIdentity } from '../../ports/transport.js';
import type { Activation } from '../policy/activation-store.js';
import { listNames } from '../policy/identity-match.js';

const COMMAND = /^\/activation\s+(mention|always)$/i;

/** The requested activation when the whole message is the command; else null. */
export function parseActivationCommand(text: string): Activation | null {
  const m = COMMAND.exec(text.trim());
  return m ? ((m[1] as string).toLowerCase() as Activation) : null;
}

export function isOwner(
  msg: Pick<InboundMessage, 'from' | 'fromMe'>,
  allowFrom: readonly string[],
  identity: LinkedIdentity | null,
): boolean {
  if (msg.fromMe) return true;
  const owners = allowFrom.filter((e) => e !== '*');
  if (owners.length > 0) return listNames(owners, msg.from);
  return identity?.e164 ? listNames([identity.e164], msg.from) : false;
}

export function activationConfirmation(mode: Activation): string {
  return mode === 'always'
    ? 'Group activation: always (every message in this group is answered).'
    : 'Group activation: mention (answering only when mentioned or replied to).';
}
