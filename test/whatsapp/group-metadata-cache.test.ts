import type { GroupMetadata } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { SocketGroupCache } from '../../src/whatsapp/group-metadata-cache.js';

const md = (id: string, subject = 'S') => ({ id, subject, participants: [] }) as unknown as GroupMetadata;

describe('SocketGroupCache (Baileys cachedGroupMetadata)', () => {
  it('asks once for concurrent and later look-ups until invalidated or expired', async () => {
    let now = 0;
    let asked = 0;
    const fetch = async (jid: string) => (asked++, md(jid));
    const c = new SocketGroupCache({ ttlMs: 1000, now: () => now });
    await Promise.all([c.get('g@g.us', fetch), c.get('g@g.us', fetch)]);
    await c.get('g@g.us', fetch);
    expect(asked).toBe(1);
    c.invalidate('g@g.us');
    await c.get('g@g.us', fetch);
    expect(asked).toBe(2);
    now += 1000;
    await c.get('g@g.us', fetch);
    expect(asked).toBe(3);
  });

  it('does not keep a failed query', async () => {
    const c = new SocketGroupCache();
    await expect(c.get('g@g.us', async () => Promise.reject(new Error('rate-overlimit')))).rejects.toThrow('rate-overlimit');
    expect(c.size).toBe(0);
    expect((await c.get('g@g.us', async (j) => md(j, 'ok'))).subject).toBe('ok');
  });

  it('keeps at most maxEntries groups', async () => {
    const c = new SocketGroupCache({ maxEntries: 2 });
    for (const j of ['a', 'b', 'c']) await c.get(j, async (x) => md(x));
    expect(c.size).toBe(2);
  });
});
