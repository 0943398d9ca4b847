import { describe, expect, it } from 'vitest';
import { parseActivationCommand } from '../../src/access/commands/activation-command.js';
import { CATCH_UP_GRACE_MS, catchUpStart, catchUpVerdict } from '../../src/access/policy/catch-up.js';
import { listAllows } from '../../src/access/policy/identity-match.js';
import { normalizeSender } from '../../src/whatsapp/address.js';

const MIN = 60_000;

describe('catchUpVerdict', () => {
  const w = { now: 100 * MIN, since: 80 * MIN, catchUpMinutes: 30 };
  it.each([
    ['notify is live whatever its age', 'notify', 1, 'live'],
    ['append at the window start', 'append', 80 * MIN, 'catch-up'],
    ['append within the grace before the window start (second-precision stamps)', 'append', 80 * MIN - CATCH_UP_GRACE_MS, 'catch-up'],
    ['append just before the grace', 'append', 80 * MIN - CATCH_UP_GRACE_MS - 1, 'before-window'],
    ['append without a timestamp', 'append', 0, 'before-window'],
    ['append slightly in the future (clock skew)', 'append', 100 * MIN + 5, 'catch-up'],
  ] as const)('%s', (_n, upsertType, timestamp, verdict) => {
    expect(catchUpVerdict({ upsertType, timestamp }, w)).toBe(verdict);
  });
  it('exactly catchUpMinutes old is handled, one ms more is too old; unknown window start is history', () => {
    const wide = { ...w, since: 1 };
    expect(catchUpVerdict({ upsertType: 'append', timestamp: 70 * MIN }, wide)).toBe('catch-up');
    expect(catchUpVerdict({ upsertType: 'append', timestamp: 70 * MIN - 1 }, wide)).toBe('too-old');
    expect(catchUpVerdict({ upsertType: 'append', timestamp: 99 * MIN }, { ...w, since: null })).toBe('before-window');
    expect(catchUpVerdict({ upsertType: 'append', timestamp: 99 * MIN }, { ...w, catchUpMinutes: 0 })).toBe('too-old');
  });
});

describe('catchUpStart (the window start, SPEC §5)', () => {
  const none = { linkedAt: null, lastCloseThisRun: null, previousRunLastConnected: null, firstOpenThisRun: null };
  it('linked at a known moment: the window starts there, not at the end of a previous connection (a message WhatsApp kept queued and delivers runs later is answered; one handled before is a ledger duplicate)', () => {
    expect(catchUpStart({ ...none, linkedAt: 10 * MIN, previousRunLastConnected: 50 * MIN, firstOpenThisRun: 51 * MIN })).toBe(10 * MIN);
    expect(catchUpStart({ ...none, linkedAt: 10 * MIN, lastCloseThisRun: 70 * MIN, previousRunLastConnected: 50 * MIN, firstOpenThisRun: 51 * MIN })).toBe(10 * MIN);
    expect(catchUpStart({ ...none, linkedAt: 60 * MIN, previousRunLastConnected: 50 * MIN, firstOpenThisRun: 61 * MIN })).toBe(60 * MIN);
  });
  it('link moment unknown (creds from an older version): the end of the previous connection — this run\'s close, else the earlier run\'s last', () => {
    expect(catchUpStart({ ...none, previousRunLastConnected: 50 * MIN, firstOpenThisRun: 51 * MIN })).toBe(50 * MIN);
    expect(catchUpStart({ ...none, lastCloseThisRun: 70 * MIN, previousRunLastConnected: 50 * MIN, firstOpenThisRun: 51 * MIN })).toBe(70 * MIN);
  });
  it('nothing known (creds from an older version): this run\'s first connection, which answers nothing old; never connected: unknown', () => {
    expect(catchUpStart({ ...none, firstOpenThisRun: 61 * MIN })).toBe(61 * MIN);
    expect(catchUpStart(none)).toBeNull();
  });
});

describe('address matching', () => {
  it('normalizes numbers and JIDs (device parts ignored)', () => {
    expect(normalizeSender(' +1 (555) 123-0001 ')).toBe('+15551230001');
    expect(normalizeSender('15551230001:7@S.whatsapp.net')).toBe('+15551230001');
    expect(normalizeSender('42:3@LID')).toBe('42@lid');
    const from = { jid: '15551230001@s.whatsapp.net', e164: null, lid: '42@lid', name: null };
    expect(listAllows(['15551230001'], from)).toBe(true);
    expect(listAllows(['42@lid'], from)).toBe(true);
    expect(listAllows(['+15551230002'], from)).toBe(false);
    expect(listAllows(['*'], from)).toBe(true);
  });
  it('parses only the whole /activation command', () => {
    expect(parseActivationCommand(' /Activation   ALWAYS ')).toBe('always');
    expect(parseActivationCommand('/activation mention')).toBe('mention');
    expect(parseActivationCommand('/activation sometimes')).toBeNull();
    expect(parseActivationCommand('x /activation always')).toBeNull();
  });
});
