/**
 * What our own close waits for (src/whatsapp/baileys-transport.ts, `InflightMessages`):
 * message stanzas Baileys received and has not upserted yet — a message whose receipt
 * went out must come out of Baileys' event buffer before end() destroys it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InflightMessages } from '../../src/whatsapp/baileys-transport.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('InflightMessages', () => {
  it('settles at once with nothing in flight, else when every stanza seen was upserted', async () => {
    let now = 0;
    const f = new InflightMessages(() => now, 2_000);
    await f.settled(1_000); // nothing seen
    f.seen('A');
    f.seen('B');
    let settled = false;
    void f.settled(1_000).then(() => (settled = true));
    f.done(['A']);
    await Promise.resolve();
    expect(settled).toBe(false);
    now += 50;
    f.done(['B', 'unknown']);
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(true);
    expect(f.size).toBe(0);
  });

  it('waits at most the bound for a stanza that never becomes an upsert, then forgets it', async () => {
    const f = new InflightMessages(() => 0, 2_000);
    f.seen('never-upserted');
    let settled = false;
    void f.settled(1_000).then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toBe(true);
    expect(f.size).toBe(0);
  });

  it('does not wait for stanzas older than staleMs (a decryption Baileys gave up on, connections ago)', async () => {
    let now = 0;
    const f = new InflightMessages(() => now, 2_000);
    f.seen('old');
    now = 5_000;
    f.seen('recent');
    let settled = false;
    void f.settled(1_000).then(() => (settled = true));
    expect(f.size).toBe(1);
    f.done(['recent']);
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(true);
  });
});
