/**
 * Every connection's AsyncLocalStorage instances (Baileys builds two per socket) are
 * disabled once it ends — a reconnect and a stop leave none enabled behind, so a
 * long-running gateway does not grow slower on every promise (src/whatsapp/async-storages.ts).
 * Real Baileys against the simulator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { asyncStorageCounts } from '../../src/whatsapp/async-storages.js';
import { e2e, OPEN_DMS, until, type E2E } from './harness.js';

const BOT = '+15550009420';

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('AsyncLocalStorage instances per connection (real Baileys ↔ simulator)', () => {
  it('a connection dropped and one stopped leave every instance they created disabled', async () => {
    h = await e2e(OPEN_DMS);
    expect((await h.link('default', BOT)).code).toBe(0);
    const before = asyncStorageCounts();
    const gw = await h.startGateway();
    const rt = gw.accounts.get('default')!;
    await until(() => rt.state === 'connected', 'gateway connected');
    const first = asyncStorageCounts();
    expect(first.created - before.created).toBeGreaterThanOrEqual(2);
    expect(first.disabled).toBe(before.disabled);

    // Dropped (515: reconnect at once): the old connection's instances are disabled.
    const mark = rt.transitions().length;
    h.sim.kick(BOT.slice(1), 515);
    await until(() => rt.transitions().slice(mark).some((t) => t.to !== 'connected') && rt.state === 'connected', 'reconnected');
    await until(() => asyncStorageCounts().disabled - before.disabled >= first.created - before.created, "the dropped connection's instances disabled");

    await h.stopGateway();
    const after = asyncStorageCounts();
    expect(after.created - before.created).toBeGreaterThanOrEqual(4);
    expect(after.disabled - before.disabled).toBe(after.created - before.created);
  });
});
