import { afterEach, describe, expect, it } from 'vitest';
import { e2e, textOf, until, type E2E } from './harness.js';

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('group metadata comes from our cache (real Baileys ↔ simulator)', () => {
  it('20 sends to one group ask WhatsApp for its metadata once; a member added is seen at the next send', async () => {
    h = await e2e({ channels: { whatsapp: { dmPolicy: 'disabled' } } });
    const gw = await h.startGateway();
    expect((await h.link('default', '+15550006000')).code).toBe(0);
    await until(() => gw.accounts.get('default')!.state === 'connected', 'connected');
    const carol = h.sim.contact('+15557770011', { name: 'Carol' });
    const dave = h.sim.contact('+15557770012', { name: 'Dave' });
    const team = h.sim.group({ subject: 'Team', participants: [carol, dave] });
    const conn = () => gw.accounts.get('default')!.activeConnection();

    for (let i = 1; i <= 20; i++) await conn().sendText(team.jid, `reply ${i}`);
    await until(() => team.inbox.length >= 20, '20 group messages');
    expect(team.inbox.map(textOf)).toEqual(Array.from({ length: 20 }, (_, i) => `reply ${i + 1}`));
    // One query for the first send; every later one is served from the cache.
    expect(team.metadataQueries).toBe(1);
    // The subject look-up of the agent's envelope goes through the same cache.
    expect((await conn().groupMetadata(team.jid)).subject).toBe('Team');
    expect(team.metadataQueries).toBe(1);

    // Erin joins: WhatsApp notifies the account; the next send asks again and reaches her.
    const erin = h.sim.contact('+15557770013', { name: 'Erin' });
    const before = erin.inbox.length;
    team.add(erin);
    await until(() => team.notificationAcks.length === 1, 'the notification handled');
    await conn().sendText(team.jid, 'welcome Erin');
    await until(() => erin.inbox.length > before, 'Erin gets the group message');
    expect(textOf(erin.inbox.at(-1)!)).toBe('welcome Erin');
    expect(team.metadataQueries).toBe(2);

    // A new subject: WhatsApp notifies the account (groups.update); the next look-up asks again.
    team.rename('Team Rocket');
    await until(() => team.notificationAcks.length === 2, 'the subject notification handled');
    expect((await conn().groupMetadata(team.jid)).subject).toBe('Team Rocket');
    expect(team.metadataQueries).toBe(3);
  });
});
