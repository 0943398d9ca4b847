import { describe, expect, it } from 'vitest';
import { RetryCounterCache } from '../../src/whatsapp/retry-counter-cache.js';

describe('RetryCounterCache (Baileys msgRetryCounterCache)', () => {
  it('keeps a count until its TTL passes', () => {
    let now = 1000;
    const c = new RetryCounterCache({ ttlMs: 100, now: () => now });
    c.set('id:jid', 2);
    now += 99;
    expect(c.get<number>('id:jid')).toBe(2);
    now += 1;
    expect(c.get('id:jid')).toBeUndefined();
  });

  it('drops the oldest entries past its bound', () => {
    const c = new RetryCounterCache({ maxEntries: 2 });
    c.set('a', 1);
    c.set('b', 1);
    c.set('a', 2); // touched: now the newest
    c.set('c', 1);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe(2);
    expect(c.size).toBe(2);
  });

  it('del and flushAll forget counts', () => {
    const c = new RetryCounterCache();
    c.set('a', 1);
    c.set('b', 1);
    c.del('a');
    expect(c.get('a')).toBeUndefined();
    c.flushAll();
    expect(c.size).toBe(0);
  });
});
