import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideDm, type DmDecision, type DmDecisionInput } from '../../src/pairing/dm-policy.js';
import { isSelf, normalizeSender } from '../../src/whatsapp/address.js';

/** decideDm as it was written before it parsed addresses lazily: every address parsed up front. */
function eagerDecideDm(input: DmDecisionInput): DmDecision {
  const sender = normalizeSender(input.sender);
  const senderIsSelf = isSelf(input.sender, { e164: input.selfE164, lid: input.selfLid ?? null });
  if (input.isSelfChat || (senderIsSelf && !input.fromMe)) return 'accept';
  if (input.fromMe) return 'drop:from-me';
  if (input.dmPolicy === 'disabled') return 'drop:dm-disabled';
  if (input.dmPolicy === 'open') return 'accept';
  const allow = input.allowFrom.map(normalizeSender);
  if (allow.includes('*') || allow.includes(sender) || input.approved(sender)) return 'accept';
  return input.dmPolicy === 'pairing' ? 'pairing' : 'drop:not-allowlisted';
}

// The same few people under every spelling the policy meets (E.164 with and without
// formatting, phone JIDs with devices, LIDs, case), plus things that are no address.
const address = fc.constantFrom(
  '+15550000001',
  '15550000001',
  '+1 (555) 000-0001',
  '15550000001:3@s.whatsapp.net',
  '15550000001@c.us',
  '+15551110000',
  ' +15551110000 ',
  '15551110000@S.WHATSAPP.NET',
  '999000111@lid',
  '999000111:2@lid',
  '777000222@lid',
  '*',
  ' * ',
  'Someone',
  '',
  '120363000000000001@g.us',
);

describe('decideDm parses addresses only when the answer needs them', () => {
  it('decides exactly as the eager version did, for any policy, sender, lists and identity', () => {
    fc.assert(
      fc.property(
        fc.record({
          dmPolicy: fc.constantFrom('open', 'pairing', 'allowlist', 'disabled' as const),
          allowFrom: fc.array(address, { maxLength: 4 }),
          approvedSet: fc.array(address, { maxLength: 3 }),
          selfE164: fc.option(address, { nil: null }),
          selfLid: fc.option(address, { nil: null }),
          sender: address,
          fromMe: fc.boolean(),
          isSelfChat: fc.boolean(),
          selfChatMode: fc.boolean(),
        }),
        ({ approvedSet, ...rest }) => {
          const approved = new Set(approvedSet.map(normalizeSender));
          const input: DmDecisionInput = { ...rest, approved: (s) => approved.has(s) };
          // twice: the second call meets the cached allow-list and self keys
          expect(decideDm(input)).toBe(eagerDecideDm(input));
          expect(decideDm(input)).toBe(eagerDecideDm(input));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a new allowFrom list (a new config) is read afresh, not from the last one', () => {
    const base = { dmPolicy: 'allowlist' as const, approved: () => false, selfE164: null, sender: '+15551110000', fromMe: false, isSelfChat: false, selfChatMode: false };
    expect(decideDm({ ...base, allowFrom: ['+15550000009'] })).toBe('drop:not-allowlisted');
    expect(decideDm({ ...base, allowFrom: ['15551110000@s.whatsapp.net'] })).toBe('accept');
  });
});
