import { describe, expect, it } from 'vitest';
import { startReadReceipt } from '../../src/actors/read-receipt.js';
import type { MessageRoute } from '../../src/bus/events.js';
import type { InboundMessage } from '../../src/ports/inbound.js';
import { ALICE, GROUP, dm, gm, harness, selfChat, type Harness } from '../access/harness.js';

const route: MessageRoute = { agentId: 'main', sessionKey: 'agent:main:main', wasMentioned: false, activation: null };
const accept = (h: Harness, message: InboundMessage) => h.bus.emit('message.accepted', { accountId: 'default', message, route });

describe('read receipts', () => {
  it('marks accepted DMs read (no participant) and group messages with the participant', async () => {
    const h = harness();
    h.start(startReadReceipt(h.deps));
    accept(h, dm(ALICE, 'hi', { id: 'D1' }));
    h.bus.emit('message.gated', { accountId: 'default', message: gm(ALICE, 'g', { id: 'G1' }), reason: 'not-mentioned' });
    await h.bus.idle();
    expect(h.conn.reads).toEqual([
      { chatJid: '15551230001@s.whatsapp.net', id: 'D1' },
      { chatJid: GROUP, id: 'G1', participant: '15551230001@s.whatsapp.net' },
    ]);
  });

  it('dropped messages only when markRead', async () => {
    const h = harness();
    h.start(startReadReceipt(h.deps));
    h.bus.emit('message.dropped', { accountId: 'default', message: dm(ALICE, 'a', { id: 'OLD' }), reason: 'catch-up:too-old', markRead: true });
    h.bus.emit('message.dropped', { accountId: 'default', message: dm(ALICE, 'b', { id: 'DUP' }), reason: 'duplicate', markRead: false });
    await h.bus.idle();
    expect(h.conn.reads.map((r) => r.id)).toEqual(['OLD']);
  });

  it('never in self-chat, never for our own messages', async () => {
    const h = harness({ selfChatMode: true });
    h.start(startReadReceipt(h.deps));
    accept(h, selfChat('note'));
    accept(h, gm(ALICE, 'mine', { fromMe: true }));
    await h.bus.idle();
    expect(h.conn.reads).toEqual([]);
  });

  it('self-chat is skipped even without selfChatMode', async () => {
    const h = harness();
    h.start(startReadReceipt(h.deps));
    accept(h, selfChat('note', { fromMe: false }));
    accept(h, dm(ALICE, 'other', { id: 'OK' }));
    await h.bus.idle();
    expect(h.conn.reads.map((r) => r.id)).toEqual(['OK']);
  });

  it('selfChatMode (personal number): accepted messages yes, gated or dropped ones no', async () => {
    const h = harness({ selfChatMode: true });
    h.start(startReadReceipt(h.deps));
    h.bus.emit('message.gated', { accountId: 'default', message: gm(ALICE, 'g'), reason: 'not-mentioned' });
    h.bus.emit('message.dropped', { accountId: 'default', message: dm(ALICE, 'old'), reason: 'catch-up:too-old', markRead: true });
    accept(h, gm(ALICE, 'asked', { id: 'ASK' }));
    await h.bus.idle();
    expect(h.conn.reads.map((r) => r.id)).toEqual(['ASK']);
  });

  it('off with sendReadReceipts false (per account)', async () => {
    const h = harness({ accounts: { default: { sendReadReceipts: false } } });
    h.start(startReadReceipt(h.deps));
    accept(h, dm(ALICE, 'hi'));
    await h.bus.idle();
    expect(h.conn.reads).toEqual([]);
  });

  it('a failure (no listener, or markRead rejects) is logged and swallowed', async () => {
    const h = harness();
    const a = h.start(startReadReceipt(h.deps));
    h.connected = false;
    accept(h, dm(ALICE, 'a'));
    h.connected = true;
    h.conn.markRead = () => Promise.reject(new Error('boom'));
    accept(h, dm(ALICE, 'b'));
    await h.bus.idle();
    expect(a.summary()).toEqual({ marked: 0, skipped: 0, failed: 2 });
  });

  it('stop detaches its listeners', async () => {
    const h = harness();
    const a = startReadReceipt(h.deps);
    const before = h.bus.listenerCount();
    await a.stop();
    expect(before - h.bus.listenerCount()).toBe(3);
    accept(h, dm(ALICE, 'x'));
    await h.bus.idle();
    expect(h.conn.reads).toEqual([]);
  });
});
