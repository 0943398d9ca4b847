import { describe, expect, it } from 'vitest';
import { decideDm, dropReason, type DmDecision, type DmDecisionInput, type DmPolicy } from '../../src/pairing/dm-policy.js';

const SELF = '+15550000001';
const ALLOWED = '+15551110000';
const APPROVED = '+15552220000';
const UNKNOWN = '+15553330000';

type SenderKind = 'self' | 'allowed' | 'approved' | 'unknown' | 'fromMe';

/** The message each sender kind stands for, as normalize.ts reports it. */
const SENDERS: Record<SenderKind, Pick<DmDecisionInput, 'sender' | 'fromMe' | 'isSelfChat'>> = {
  // The owner writes in "Message yourself".
  self: { sender: SELF, fromMe: true, isSelfChat: true },
  allowed: { sender: ALLOWED, fromMe: false, isSelfChat: false },
  approved: { sender: APPROVED, fromMe: false, isSelfChat: false },
  unknown: { sender: UNKNOWN, fromMe: false, isSelfChat: false },
  // Our own outbound message in a DM with someone else (normalize reports the sender as self).
  fromMe: { sender: SELF, fromMe: true, isSelfChat: false },
};

const allowFromFor = (policy: DmPolicy) => (policy === 'open' ? ['*', ALLOWED] : [ALLOWED]);

/** dmPolicy → sender kind → expected decision (the same with and without selfChatMode). */
const EXPECTED: Record<DmPolicy, Record<SenderKind, DmDecision>> = {
  pairing: { self: 'accept', allowed: 'accept', approved: 'accept', unknown: 'pairing', fromMe: 'drop:from-me' },
  allowlist: { self: 'accept', allowed: 'accept', approved: 'accept', unknown: 'drop:not-allowlisted', fromMe: 'drop:from-me' },
  open: { self: 'accept', allowed: 'accept', approved: 'accept', unknown: 'accept', fromMe: 'drop:from-me' },
  disabled: { self: 'accept', allowed: 'drop:dm-disabled', approved: 'drop:dm-disabled', unknown: 'drop:dm-disabled', fromMe: 'drop:from-me' },
};

const rows = (Object.keys(EXPECTED) as DmPolicy[]).flatMap((dmPolicy) =>
  (Object.keys(SENDERS) as SenderKind[]).flatMap((kind) =>
    [true, false].map((selfChatMode) => ({ dmPolicy, kind, selfChatMode, expected: EXPECTED[dmPolicy][kind] })),
  ),
);

describe('decideDm: dmPolicy × sender kind × selfChatMode', () => {
  it('has all 40 rows', () => {
    expect(rows).toHaveLength(40);
  });

  it.each(rows)('$dmPolicy, $kind sender, selfChatMode $selfChatMode → $expected', ({ dmPolicy, kind, selfChatMode, expected }) => {
    const decision = decideDm({
      dmPolicy,
      allowFrom: allowFromFor(dmPolicy),
      approved: (s) => s === APPROVED,
      selfE164: SELF,
      selfChatMode,
      ...SENDERS[kind],
    });
    expect(decision).toBe(expected);
  });
});

describe('decideDm: details', () => {
  const base: DmDecisionInput = {
    dmPolicy: 'pairing',
    allowFrom: [],
    approved: () => false,
    selfE164: SELF,
    sender: UNKNOWN,
    fromMe: false,
    isSelfChat: false,
    selfChatMode: false,
  };

  it('compares numbers in any spelling: allowFrom "1 (555) 111-0000" matches +15551110000', () => {
    expect(decideDm({ ...base, allowFrom: ['1 (555) 111-0000'], sender: ALLOWED })).toBe('accept');
  });

  it('an unresolved LID sender is handled by its LID: allowlisted, approved, or asked to pair', () => {
    const lid = '123456789@lid';
    expect(decideDm({ ...base, sender: lid })).toBe('pairing');
    expect(decideDm({ ...base, sender: lid, allowFrom: ['123456789@LID'] })).toBe('accept');
    expect(decideDm({ ...base, sender: lid, approved: (s) => s === lid })).toBe('accept');
  });

  it('"*" in allowFrom lets everyone in under pairing and allowlist too', () => {
    expect(decideDm({ ...base, allowFrom: ['*'] })).toBe('accept');
    expect(decideDm({ ...base, dmPolicy: 'allowlist', allowFrom: ['*'] })).toBe('accept');
  });

  it('the self LID counts as self; fromMe never asks for pairing, even from an unknown peer', () => {
    expect(decideDm({ ...base, selfE164: null, selfLid: '42@lid', sender: '42@lid' })).toBe('accept');
    expect(decideDm({ ...base, fromMe: true })).toBe('drop:from-me');
    expect(decideDm({ ...base, fromMe: true, dmPolicy: 'open', allowFrom: ['*'] })).toBe('drop:from-me');
  });

  it('passes the normalized sender to the approved check', () => {
    const asked: string[] = [];
    decideDm({ ...base, sender: '15553330000', approved: (s) => (asked.push(s), false) });
    expect(asked).toEqual([UNKNOWN]);
  });

  it('dropReason extracts the reason', () => {
    expect(dropReason('drop:from-me')).toBe('from-me');
    expect(dropReason('accept')).toBeNull();
    expect(dropReason('pairing')).toBeNull();
  });
});
