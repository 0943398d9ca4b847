import { describe, expect, it } from 'vitest';
import { startAckReaction } from '../../src/actors/ack-reaction.js';
import type { MessageRoute } from '../../src/bus/events.js';
import type { InboundMessage } from '../../src/ports/inbound.js';
import { ALICE, GROUP, dm, gm, harness, type Harness } from '../access/harness.js';

const dmRoute: MessageRoute = { agentId: 'main', sessionKey: 'agent:main:main', wasMentioned: false, activation: null };
const groupRoute = (wasMentioned: boolean, activation: 'always' | 'mention'): MessageRoute => ({
  agentId: 'main',
  sessionKey: `agent:main:whatsapp:group:${GROUP}`,
  wasMentioned,
  activation,
});
const accept = (h: Harness, message: InboundMessage, route: MessageRoute) =>
  h.bus.emit('message.accepted', { accountId: 'default', message, route });

async function reactions(ackReaction: Record<string, unknown> | undefined, message: InboundMessage, route: MessageRoute) {
  const h = harness(ackReaction ? { ackReaction } : {});
  h.start(startAckReaction(h.deps));
  accept(h, message, route);
  await h.bus.idle();
  return h.conn.reactions;
}

describe('ack reactions', () => {
  it('off without an emoji (the default), and with an empty one', async () => {
    expect(await reactions(undefined, dm(ALICE, 'x'), dmRoute)).toEqual([]);
    expect(await reactions({ emoji: '' }, dm(ALICE, 'x'), dmRoute)).toEqual([]);
  });

  it('direct chats: on by default, off with direct false', async () => {
    expect(await reactions({ emoji: '👀' }, dm(ALICE, 'x', { id: 'D' }), dmRoute)).toEqual([
      { ref: { chatJid: '15551230001@s.whatsapp.net', id: 'D', fromMe: false }, emoji: '👀' },
    ]);
    expect(await reactions({ emoji: '👀', direct: false }, dm(ALICE, 'x'), dmRoute)).toEqual([]);
  });

  const table: [string, 'always' | 'mentions' | 'never' | undefined, boolean, 'always' | 'mention', number][] = [
    ['mentions (default), mentioned', undefined, true, 'mention', 1],
    ['mentions, not mentioned, activation mention (pattern-less reply path)', 'mentions', false, 'mention', 0],
    ['mentions, activation always', 'mentions', false, 'always', 1],
    ['always, not mentioned', 'always', false, 'mention', 1],
    ['never, mentioned', 'never', true, 'always', 0],
  ];
  it.each(table)('groups: %s', async (_n, group, mentioned, activation, count) => {
    const ack = group ? { emoji: '✅', group } : { emoji: '✅' };
    const got = await reactions(ack, gm(ALICE, 'x', { id: 'G' }), groupRoute(mentioned, activation));
    expect(got).toHaveLength(count);
    if (count) expect(got[0]).toEqual({ ref: { chatJid: GROUP, id: 'G', fromMe: false, participant: '15551230001@s.whatsapp.net' }, emoji: '✅' });
  });

  it('per-account override merges field by field', async () => {
    const h = harness({ ackReaction: { emoji: '👀' }, accounts: { default: { ackReaction: { direct: false } } } });
    h.start(startAckReaction(h.deps));
    accept(h, dm(ALICE, 'x'), dmRoute);
    accept(h, gm(ALICE, 'x'), groupRoute(true, 'mention'));
    await h.bus.idle();
    expect(h.conn.reactions.map((r) => [r.ref.chatJid, r.emoji])).toEqual([[GROUP, '👀']]);
  });

  it('a failed reaction is logged and swallowed (fire-and-forget)', async () => {
    const h = harness({ ackReaction: { emoji: '👀' } });
    const a = h.start(startAckReaction(h.deps));
    h.conn.react = () => Promise.reject(new Error('nope'));
    accept(h, dm(ALICE, 'x'), dmRoute);
    h.connected = false;
    accept(h, dm(ALICE, 'y'), dmRoute);
    await h.bus.idle();
    expect(a.summary()).toEqual({ sent: 0, failed: 2 });
  });
});
