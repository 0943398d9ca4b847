import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startAccessPolicy } from '../../src/actors/access-policy.js';
import { storeFile } from '../../src/state-layout.js';
import { ALICE, BOB, GROUP, SELF_E164, T0, gm, harness } from '../access/harness.js';
import { tmpDir } from '../helpers/tmp.js';

type Outcome = 'accepted' | 'gated' | `dropped:${string}`;

async function outcome(whatsapp: Record<string, unknown>, msgText: string, from = ALICE, extra: Record<string, unknown> = {}, over = {}): Promise<Outcome> {
  const h = harness(whatsapp, extra);
  h.start(startAccessPolicy(h.deps));
  await h.receive(gm(from, msgText, over));
  if (h.of('message.accepted').length) return 'accepted';
  if (h.of('message.gated').length) return 'gated';
  return `dropped:${h.of('message.dropped')[0]?.reason}`;
}

const mention = { mentions: ['15550000001@s.whatsapp.net'] };

describe('group policy × sender × activation', () => {
  const rows: [string, Record<string, unknown>, string, object, Outcome][] = [
    ['disabled drops even a mention', { groupPolicy: 'disabled', allowFrom: [ALICE] }, ALICE, mention, 'dropped:group-policy-disabled'],
    ['open, any sender, mention', { groupPolicy: 'open' }, BOB, mention, 'accepted'],
    ['open, any sender, no mention', { groupPolicy: 'open' }, BOB, {}, 'gated'],
    ['allowlist, sender in groupAllowFrom, mention', { groupAllowFrom: [ALICE] }, ALICE, mention, 'accepted'],
    ['allowlist, sender in groupAllowFrom, no mention', { groupAllowFrom: [ALICE] }, ALICE, {}, 'gated'],
    ['allowlist, sender not listed', { groupAllowFrom: [ALICE] }, BOB, mention, 'dropped:group-sender-not-allowed'],
    ['allowlist falls back to allowFrom', { allowFrom: [BOB] }, BOB, mention, 'accepted'],
    ['allowlist with nobody listed drops', {}, ALICE, mention, 'dropped:group-sender-not-allowed'],
    ['allowlist "*" allows every sender', { groupAllowFrom: ['*'] }, BOB, mention, 'accepted'],
    ['groups map without this group', { groupPolicy: 'open', groups: { 'other@g.us': {} } }, ALICE, mention, 'dropped:group-not-allowed'],
    ['groups map "*"', { groupPolicy: 'open', groups: { '*': {} } }, ALICE, mention, 'accepted'],
    ['requireMention false = always', { groupPolicy: 'open', groups: { [GROUP]: { requireMention: false } } }, ALICE, {}, 'accepted'],
    ['"*" requireMention false', { groupPolicy: 'open', groups: { '*': { requireMention: false } } }, ALICE, {}, 'accepted'],
    ['exact entry beats "*"', { groupPolicy: 'open', groups: { '*': { requireMention: false }, [GROUP]: {} } }, ALICE, {}, 'gated'],
    ['reply to our message activates', { groupPolicy: 'open' }, ALICE, { quoted: { id: 'Q', body: 'x', senderJid: '15550000001:1@s.whatsapp.net', senderE164: null } }, 'accepted'],
    ['reply to someone else does not', { groupPolicy: 'open' }, ALICE, { quoted: { id: 'Q', body: 'x', senderJid: '15551230002@s.whatsapp.net', senderE164: BOB } }, 'gated'],
    ['mention by LID activates', { groupPolicy: 'open' }, ALICE, { mentions: ['999000111@lid'] }, 'accepted'],
    ['mention of someone else does not', { groupPolicy: 'open' }, ALICE, { mentions: ['15551230002@s.whatsapp.net'] }, 'gated'],
    ['selfChatMode ignores mention JIDs', { groupPolicy: 'open', selfChatMode: true }, ALICE, mention, 'gated'],
    ['our own group messages are dropped', { groupPolicy: 'open' }, SELF_E164, { fromMe: true, mentions: ['15550000001@s.whatsapp.net'] }, 'dropped:from-me'],
  ];
  it.each(rows)('%s', async (_name, wa, from, over, expected) => {
    expect(await outcome(wa, 'hello', from, {}, over)).toBe(expected);
  });

  it('mention patterns from messages.groupChat and from the agent (agent wins)', async () => {
    const msgs = { messages: { groupChat: { mentionPatterns: ['\\bbot\\b'] } } };
    expect(await outcome({ groupPolicy: 'open' }, 'hey BOT, help', ALICE, msgs)).toBe('accepted');
    expect(await outcome({ groupPolicy: 'open' }, 'robotics', ALICE, msgs)).toBe('gated');
    const agent = { ...msgs, agents: { list: [{ id: 'a1', groupChat: { mentionPatterns: ['^jarvis'] } }] } };
    expect(await outcome({ groupPolicy: 'open' }, 'jarvis: lights', ALICE, agent)).toBe('accepted');
    expect(await outcome({ groupPolicy: 'open' }, 'hey bot', ALICE, agent)).toBe('gated');
    expect(await outcome({ groupPolicy: 'open', selfChatMode: true }, 'hey bot', ALICE, msgs)).toBe('accepted');
  });

  it('route carries group session key, wasMentioned and activation', async () => {
    const h = harness({ groupPolicy: 'open', groups: { [GROUP]: { requireMention: false } } });
    h.start(startAccessPolicy(h.deps));
    await h.receive(gm(ALICE, 'a'));
    await h.receive(gm(ALICE, 'b', mention));
    expect(h.of('message.accepted').map((a) => a.route)).toEqual([
      { agentId: 'main', sessionKey: `agent:main:whatsapp:group:${GROUP}`, wasMentioned: false, activation: 'always', history: [] },
      { agentId: 'main', sessionKey: `agent:main:whatsapp:group:${GROUP}`, wasMentioned: true, activation: 'always', history: [] },
    ]);
  });
});

describe('/activation command', () => {
  it('the owner (allowFrom) switches a group to always: stored 0600, confirmed, then every message is accepted', async () => {
    const stateDir = tmpDir('access');
    const h = harness({ groupPolicy: 'open', allowFrom: [ALICE] }, {}, stateDir);
    const a = startAccessPolicy(h.deps);
    await h.receive(gm(ALICE, '  /activation always '));
    await h.receive(gm(BOB, 'plain'));
    expect(h.of('reply.requested').map((r) => [r.chatJid, r.source])).toEqual([[GROUP, 'command']]);
    expect(h.of('reply.requested')[0]?.text).toMatch(/always/);
    expect(h.of('message.dropped').map((d) => [d.reason, d.markRead])).toEqual([['activation-command', true]]);
    expect(h.of('message.accepted').map((x) => x.route.activation)).toEqual(['always']);
    expect(await h.deps.store.activations.all('default')).toEqual({ [GROUP]: 'always' });
    expect(fs.statSync(storeFile(stateDir)).mode & 0o777).toBe(0o600);
    await a.stop();
    // the agent answered them (it does not run here): nothing is left for the next start to resume
    for (const e of await h.deps.store.ledger.list()) await h.deps.store.ledger.update(e, { state: 'replied', at: T0 });

    // persisted: a new actor instance keeps the activation; then back to mention
    const h2 = harness({ groupPolicy: 'open', allowFrom: [ALICE] }, {}, stateDir);
    h2.start(startAccessPolicy(h2.deps));
    await h2.receive(gm(BOB, 'still always'));
    await h2.receive(gm(ALICE, '/ACTIVATION mention'));
    await h2.receive(gm(BOB, 'now gated'));
    expect(h2.of('message.accepted').map((x) => x.message.text)).toEqual(['still always']);
    expect(h2.of('message.gated').map((x) => x.message.text)).toEqual(['now gated']);
  });

  it('a non-owner cannot switch it (dropped, no confirmation, nothing stored)', async () => {
    const h = harness({ groupPolicy: 'open', allowFrom: [ALICE] });
    h.start(startAccessPolicy(h.deps));
    await h.receive(gm(BOB, '/activation always'));
    await h.receive(gm(BOB, 'plain'));
    expect(h.of('reply.requested')).toEqual([]);
    expect(h.of('message.dropped').map((d) => d.reason)).toEqual(['activation-not-owner']);
    expect(h.of('message.gated')).toHaveLength(1);
    expect(await h.deps.store.activations.all('default')).toEqual({});
  });

  it('without allowFrom the owner is the linked number', async () => {
    const h = harness({ groupPolicy: 'open' });
    h.start(startAccessPolicy(h.deps));
    await h.receive(gm(ALICE, '/activation always'));
    await h.receive(gm(SELF_E164, '/activation always', { fromMe: true, from: { jid: '15550000001@s.whatsapp.net', e164: SELF_E164, lid: null, name: null } }));
    expect(h.of('message.dropped').map((d) => d.reason)).toEqual(['activation-not-owner', 'activation-command']);
    expect(h.of('reply.requested')).toHaveLength(1);
  });

  it('must be the whole message', async () => {
    const h = harness({ groupPolicy: 'open', allowFrom: [ALICE] });
    h.start(startAccessPolicy(h.deps));
    await h.receive(gm(ALICE, 'please /activation always'));
    await h.receive(gm(ALICE, '/activation always now'));
    await h.receive(gm(ALICE, '/activation'));
    expect(h.of('reply.requested')).toEqual([]);
    expect(h.of('message.gated')).toHaveLength(3);
  });

  it('is per group', async () => {
    const h = harness({ groupPolicy: 'open', allowFrom: [ALICE] });
    h.start(startAccessPolicy(h.deps));
    await h.receive(gm(ALICE, '/activation always'));
    await h.receive(gm(BOB, 'other group', { chatJid: 'other@g.us', chatId: 'other@g.us' }));
    expect(h.of('message.gated').map((g) => g.message.chatJid)).toEqual(['other@g.us']);
  });
});

describe('identity unknown', () => {
  it('without a linked identity nothing is a mention of us', async () => {
    const h = harness({ groupPolicy: 'open' });
    h.identity = null;
    h.start(startAccessPolicy(h.deps));
    await h.receive(gm(ALICE, 'x', mention));
    expect(h.of('message.gated')).toHaveLength(1);
  });
});
