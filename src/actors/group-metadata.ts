/**
 * The group metadata actor: owns the 5-minute group metadata cache
 * (`GroupMetadataCache`) over each account's live connection and exposes the
 * lookups agent dispatch needs for envelopes (`subject(accountId, groupJid)`).
 * A lookup while the account is offline fails and is cached like any failure.
 */
import type { RunningActor } from '../gateway/actor-registry.js';
import type { GroupInfo } from '../ports/transport.js';
import { subLogger } from '../log.js';
import { GroupMetadataCache } from '../access/group-metadata.js';
import type { ActorDeps } from './deps.js';

export interface GroupMetadataActor extends RunningActor {
  /** Subject, participants; null when WhatsApp did not answer (cached 5 minutes). */
  get(accountId: string, groupJid: string): Promise<GroupInfo | null>;
  /** The group subject, or null (envelopes then show the JID). */
  subject(accountId: string, groupJid: string): Promise<string | null>;
}

export function startGroupMetadata(deps: ActorDeps, opts: { ttlMs?: number } = {}): GroupMetadataActor {
  const log = subLogger(deps.logger, 'whatsapp');
  const cache = new GroupMetadataCache({
    fetch: async (accountId, groupJid) => deps.connection(accountId).groupMetadata(groupJid),
    now: deps.now,
    ...(opts.ttlMs !== undefined ? { ttlMs: opts.ttlMs } : {}),
    onError: (err, accountId, groupJid) => log.warn({ err, accountId, groupJid }, 'group metadata lookup failed'),
  });
  return {
    name: 'group-metadata',
    get: (accountId, groupJid) => cache.get(accountId, groupJid),
    subject: (accountId, groupJid) => cache.subject(accountId, groupJid),
    summary: () => cache.summary(),
    stop: () => cache.clear(),
  };
}
