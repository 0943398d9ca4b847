import { describe, expect, it } from 'vitest';
import { startAccessPolicy } from '../../src/actors/access-policy.js';
import { GroupHistory } from '../../src/access/policy/group-history.js';
import { ALICE, BOB, GROUP, T0, gm, harness, type Harness } from '../access/harness.js';

const mention = { mentions: ['15550000001@s.whatsapp.net'] };
const delivered = (h: Harness, chatJid = GROUP) =>
  h.bus.emit('reply.delivered', { accountId: 'default', chatJid, requestId: 'r', messageIds: [], at: T0 });
const texts = (h: Harness) => h.of('message.accepted').map((a) => a.route.history?.map((m) => m.text));

describe('history injection', () => {
  it('gated messages go into the next accepted route, oldest first, and are not handed out twice', async () => {
    const h = harness({ groupPolicy: 'open' });
    h.start(startAccessPolicy(h.deps));
    await h.receive(gm(ALICE, 'one'));
    await h.receive(gm(BOB, 'two'));
    await h.receive(gm(ALICE, '@bot answer', mention));
    await h.receive(gm(BOB, 'three'));
    await h.receive(gm(ALICE, '@bot again', mention));
    expect(texts(h)).toEqual([['one', 'two'], ['three']]);
  });

  it('keeps at most historyLimit per group', async () => {
    const h = harness({ groupPolicy: 'open', historyLimit: 2 });
    h.start(startAccessPolicy(h.deps));
    for (const t of ['a', 'b', 'c']) await h.receive(gm(ALICE, t));
    await h.receive(gm(ALICE, 'go', mention));
    expect(texts(h)).toEqual([['b', 'c']]);
  });

  it('historyLimit 0 disables it (also via messages.groupChat.historyLimit)', async () => {
    const h = harness({ groupPolicy: 'open' }, { messages: { groupChat: { historyLimit: 0 } } });
    h.start(startAccessPolicy(h.deps));
    await h.receive(gm(ALICE, 'a'));
    await h.receive(gm(ALICE, 'go', mention));
    expect(texts(h)).toEqual([[]]);
  });

  it('a delivered reply clears what was handed out, keeps what was gated after', async () => {
    const h = harness({ groupPolicy: 'open' });
    const a = h.start(startAccessPolicy(h.deps));
    await h.receive(gm(ALICE, 'a'));
    await h.receive(gm(ALICE, 'go', mention));
    await h.receive(gm(BOB, 'late'));
    delivered(h);
    expect(a.summary()).toMatchObject({ history: { groups: 1, messages: 1 } });
    delivered(h, 'other@g.us');
    await h.receive(gm(ALICE, 'go2', mention));
    expect(texts(h)).toEqual([['a'], ['late']]);
  });

  it('is kept per group', async () => {
    const h = harness({ groupPolicy: 'open' });
    h.start(startAccessPolicy(h.deps));
    await h.receive(gm(ALICE, 'here'));
    await h.receive(gm(ALICE, 'there', { chatJid: 'other@g.us', chatId: 'other@g.us' }));
    await h.receive(gm(ALICE, 'go', mention));
    expect(texts(h)).toEqual([['here']]);
  });

  it('is kept by the access policy itself (no other actor); stop detaches', async () => {
    const h = harness({ groupPolicy: 'open' });
    const pol = startAccessPolicy(h.deps);
    await h.receive(gm(ALICE, 'ctx'));
    await h.receive(gm(ALICE, 'go', mention));
    expect(texts(h)).toEqual([['ctx']]);
    expect(pol.summary()).toMatchObject({ history: { groups: 1, messages: 1 } });
    await pol.stop();
    expect(h.bus.listenerCount('message.gated')).toBe(1); // only the harness recorder
    expect(h.bus.listenerCount('message.received')).toBe(0);
    expect(h.bus.listenerCount('reply.delivered')).toBe(0);
  });

  it('is kept per account: one account\'s reply does not clear another\'s group history', async () => {
    const h = harness({ groupPolicy: 'open', accounts: { default: {}, work: {} } });
    h.start(startAccessPolicy(h.deps));
    await h.receive(gm(ALICE, 'mine'));
    await h.receive(gm(ALICE, 'theirs', { accountId: 'work' }));
    h.bus.emit('reply.delivered', { accountId: 'work', chatJid: GROUP, requestId: 'r', messageIds: [], at: T0 });
    await h.receive(gm(ALICE, 'go', mention));
    expect(texts(h)).toEqual([['mine']]);
  });
});

describe('GroupHistory', () => {
  it('evicts the least recently used group beyond maxGroups', () => {
    const g = new GroupHistory(2);
    const m = gm(ALICE, 'x');
    g.record('a', 'g1', m, 5);
    g.record('a', 'g2', m, 5);
    g.take('a', 'g1', 5); // touch g1
    g.record('a', 'g3', m, 5);
    expect(g.peek('a', 'g2')).toEqual([]);
    expect(g.peek('a', 'g1')).toHaveLength(1);
    expect(g.peek('a', 'g3')).toHaveLength(1);
  });
});
