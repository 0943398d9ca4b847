import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startAccessPolicy } from '../../src/actors/access-policy.js';
import { storeFile } from '../../src/state-layout.js';
import { createPairingStore } from '../../src/pairing/store.js';
import { ALICE, BOB, SELF, SELF_E164, T0, dm, harness, selfChat } from '../access/harness.js';
import { CATCH_UP_GRACE_MS } from '../../src/access/policy/catch-up.js';
import { tmpDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';
import { startInboundLedger } from '../../src/actors/inbound-ledger.js';
import { ledgerOf } from '../../src/actors/actor.js';
import { keyOf, ledgerRequestId } from '../../src/ledger/inbound-ledger.js';

describe('access policy: direct chats', () => {
  it('accepts an allowlisted sender with the route from routeMessage', async () => {
    const h = harness({ dmPolicy: 'allowlist', allowFrom: [ALICE] });
    h.start(startAccessPolicy(h.deps));
    await h.receive(dm(ALICE, 'hi'));
    const [acc] = h.of('message.accepted');
    expect(acc?.route).toEqual({ agentId: 'main', sessionKey: 'agent:main:main', wasMentioned: false, activation: null });
  });

  it('drops an unknown sender under allowlist, without pairing', async () => {
    const h = harness({ dmPolicy: 'allowlist', allowFrom: [ALICE] });
    h.start(startAccessPolicy(h.deps));
    await h.receive(dm(BOB, 'hi'));
    expect(h.of('message.dropped').map((d) => [d.reason, d.markRead])).toEqual([['not-allowlisted', false]]);
    expect(h.of('pairing.needed')).toEqual([]);
  });

  it('asks for pairing for an unknown sender under pairing, and accepts once approved in the store', async () => {
    const stateDir = tmpDir('access');
    const h = harness({ dmPolicy: 'pairing' }, {}, stateDir);
    h.start(startAccessPolicy(h.deps));
    await h.receive(dm(BOB, 'hi'));
    expect(h.of('pairing.needed').map((p) => p.sender)).toEqual([BOB]);

    const store = createPairingStore({ store: h.deps.store, now: () => T0 });
    const req = await store.requestCode(BOB, 'default');
    if (req.status !== 'created') throw new Error(req.status);
    await store.approve(req.code);
    await h.receive(dm(BOB, 'again'));
    expect(h.of('message.accepted').map((a) => a.message.text)).toEqual(['again']);
  });

  it('disabled drops every DM but the owner self-chat is always trusted', async () => {
    const h = harness({ dmPolicy: 'disabled' });
    h.start(startAccessPolicy(h.deps));
    await h.receive(dm(ALICE, 'hi'));
    await h.receive(selfChat('note to self'));
    expect(h.of('message.dropped').map((d) => d.reason)).toEqual(['dm-disabled']);
    expect(h.of('message.accepted').map((a) => a.message.text)).toEqual(['note to self']);
  });

  it('our own outbound DMs (fromMe) never trigger pairing', async () => {
    const h = harness({ dmPolicy: 'pairing', selfChatMode: true });
    h.start(startAccessPolicy(h.deps));
    await h.receive(dm(BOB, 'hello from my phone', { fromMe: true, from: { jid: '15550000001@s.whatsapp.net', e164: SELF_E164, lid: null, name: null } }));
    expect(h.of('pairing.needed')).toEqual([]);
    expect(h.of('message.dropped').map((d) => d.reason)).toEqual(['from-me']);
  });

  it('reactions and edits are not prompts', async () => {
    const h = harness({ dmPolicy: 'open', allowFrom: ['*'] });
    h.start(startAccessPolicy(h.deps));
    await h.receive(dm(ALICE, '👍', { kind: 'reaction', reaction: { targetId: 'X', emoji: '👍', removed: false } }));
    await h.receive(dm(ALICE, 'fixed', { kind: 'edit', edit: { targetId: 'X' } }));
    expect(h.of('message.dropped').map((d) => d.reason)).toEqual(['reaction', 'edit']);
  });

  it('defensively drops broadcast chats', async () => {
    const h = harness({ dmPolicy: 'open', allowFrom: ['*'] });
    h.start(startAccessPolicy(h.deps));
    await h.receive(dm(ALICE, 'story', { chatJid: 'status@broadcast' }));
    expect(h.of('message.dropped').map((d) => d.reason)).toEqual(['broadcast']);
  });
});

describe('access policy: dedupe', () => {
  it('handles a redelivered message once', async () => {
    const h = harness({ dmPolicy: 'open', allowFrom: ['*'] });
    h.start(startAccessPolicy(h.deps));
    const m = dm(ALICE, 'hi');
    await h.receive(m);
    await h.receive({ ...m });
    expect(h.of('message.accepted')).toHaveLength(1);
    expect(h.of('message.dropped').map((d) => [d.reason, d.markRead])).toEqual([['duplicate', false]]);
  });

  it('the same id in another chat is a different message', async () => {
    const h = harness({ dmPolicy: 'open', allowFrom: ['*'] });
    h.start(startAccessPolicy(h.deps));
    await h.receive(dm(ALICE, 'a', { id: 'SAME' }));
    await h.receive(dm(BOB, 'b', { id: 'SAME' }));
    expect(h.of('message.accepted')).toHaveLength(2);
  });

  it('remembers across a restart (new actor, same state dir), written 0600: the ledger entry is the memory', async () => {
    const stateDir = tmpDir('access');
    const m = dm(ALICE, 'hi');
    const h1 = harness({ dmPolicy: 'open', allowFrom: ['*'] }, {}, stateDir);
    const l1 = startInboundLedger(h1.deps);
    const a1 = startAccessPolicy(h1.deps);
    await h1.receive(m);
    expect(h1.of('message.accepted')).toHaveLength(1);
    // what a delivered reply does (agent dispatch and reply delivery are not running here)
    await ledgerOf(h1.deps).move(keyOf('default', m), { state: 'replied' });
    await a1.stop();
    await l1.stop();
    expect(await h1.deps.store.ledger.get(keyOf('default', m))).toMatchObject({ state: 'replied', sender: m.from.jid });
    expect(fs.statSync(storeFile(stateDir)).mode & 0o777).toBe(0o600);

    const h2 = harness({ dmPolicy: 'open', allowFrom: ['*'] }, {}, stateDir);
    h2.start(startInboundLedger(h2.deps));
    h2.start(startAccessPolicy(h2.deps));
    await h2.receive({ ...m });
    expect(h2.of('message.accepted')).toHaveLength(0);
    expect(h2.of('message.dropped').map((d) => d.reason)).toEqual(['duplicate']);
    expect(await h2.deps.store.ledger.get(keyOf('default', m))).toMatchObject({ state: 'replied' });
  });

  it('our own sent messages are never processed as inbound in self-chat (no loop), across restarts too', async () => {
    const stateDir = tmpDir('access');
    const h = harness({ selfChatMode: true }, {}, stateDir);
    const l = startInboundLedger(h.deps);
    const a = startAccessPolicy(h.deps);
    h.bus.emit('reply.delivered', { accountId: 'default', chatJid: '15550000001@s.whatsapp.net', requestId: 'r1', messageIds: ['OUT1', 'OUT2'], at: T0 });
    await h.receive(selfChat('[wagate] the answer', { id: 'OUT1' }));
    // the transport keeps every message it sent in store.sent (for retry receipts): a new process knows them there
    await h.deps.store.sent.put('default', { id: 'OUT2', chatJid: '15550000001@s.whatsapp.net', message: 'proto', at: T0 }, 100);
    await a.stop();
    await l.stop();
    const h2 = harness({ selfChatMode: true }, {}, stateDir);
    h2.start(startInboundLedger(h2.deps));
    h2.start(startAccessPolicy(h2.deps));
    await h2.receive(selfChat('[wagate] part two', { id: 'OUT2' }));
    await h2.receive(selfChat('a real question', { id: 'IN1' }));
    expect(h.of('message.dropped').map((d) => d.reason)).toEqual(['own-message']);
    expect(h2.of('message.dropped').map((d) => d.reason)).toEqual(['own-message']);
    expect(h2.of('message.accepted').map((x) => x.message.id)).toEqual(['IN1']);
  });

  it('a key handled before the ledger (an imported dedupe file) is not handled again', async () => {
    const h = harness({ dmPolicy: 'open', allowFrom: ['*'] });
    h.start(startInboundLedger(h.deps));
    h.start(startAccessPolicy(h.deps));
    const m = dm(ALICE, 'old');
    await h.deps.store.handled.add('default', `in|${ALICE}|${m.id}`, T0);
    await h.receive(m);
    expect(h.of('message.accepted')).toEqual([]);
    await ledgerOf(h.deps).flush();
    expect(await h.deps.store.ledger.get(keyOf('default', m))).toMatchObject({ state: 'dropped', reason: 'handled-before-ledger' });
  });
});

describe('access policy: resume after a restart (inbound ledger)', () => {
  const MIN = 60_000;
  async function firstRun(stateDir: string, msgs: ReturnType<typeof dm>[], after?: (h: ReturnType<typeof harness>) => Promise<void>) {
    const h = harness({ dmPolicy: 'open', allowFrom: ['*'] }, { web: { catchUpMinutes: 30 } }, stateDir);
    const l = startInboundLedger(h.deps);
    const a = startAccessPolicy(h.deps);
    for (const m of msgs) await h.receive(m);
    await after?.(h);
    await a.stop();
    await l.stop(); // a crash: nobody answered
  }
  function secondRun(stateDir: string, now: number) {
    const h = harness({ dmPolicy: 'open', allowFrom: ['*'] }, { web: { catchUpMinutes: 30 } }, stateDir);
    h.clock.now = now;
    h.connected = false;
    h.start(startInboundLedger(h.deps));
    h.start(startAccessPolicy(h.deps));
    return h;
  }

  it('handles unanswered entries again once the account is connected, in order per chat, before new messages of the chat', async () => {
    const stateDir = tmpDir('access');
    const m1 = dm(ALICE, 'one');
    const m2 = dm(ALICE, 'two');
    const other = dm(BOB, 'bob');
    await firstRun(stateDir, [m1, m2, other]);
    const h = secondRun(stateDir, T0 + 5 * MIN);
    const m3 = dm(ALICE, 'three', { timestamp: T0 + 5 * MIN });
    h.bus.emit('message.received', { accountId: 'default', message: m3 });
    await until(async () => (await h.deps.store.ledger.get(keyOf('default', m3))) !== undefined, 'm3 recorded');
    expect(h.of('message.accepted')).toEqual([]); // waiting: the account is not connected yet
    h.connected = true;
    h.bus.emit('account.connected', { accountId: 'default', identity: SELF, at: h.clock.now });
    await until(() => h.of('message.accepted').length === 4, 'four accepted');
    const alice = h.of('message.accepted').filter((x) => x.message.chatId === ALICE).map((x) => x.message.text);
    expect(alice).toEqual(['one', 'two', 'three']);
    await ledgerOf(h.deps).flush();
    expect((await h.deps.store.ledger.list()).map((e) => [e.messageId, e.state])).toEqual([
      [m1.id, 'accepted'],
      [m2.id, 'accepted'],
      [other.id, 'accepted'],
      [m3.id, 'accepted'],
    ]);
    // WhatsApp delivering one again is still a duplicate
    await h.receive({ ...m1 });
    expect(h.of('message.dropped').map((d) => d.reason)).toEqual(['duplicate']);
  });

  it('drops as expired what is older than the catch-up window, visible in the ledger', async () => {
    const stateDir = tmpDir('access');
    const old = dm(ALICE, 'old');
    await firstRun(stateDir, [old]);
    const h = secondRun(stateDir, T0 + 31 * MIN);
    h.connected = true;
    await until(async () => (await h.deps.store.ledger.get(keyOf('default', old)))?.state === 'dropped', 'expired');
    expect(await h.deps.store.ledger.get(keyOf('default', old))).toMatchObject({ reason: 'expired' });
    await h.bus.idle();
    expect(h.of('message.accepted')).toEqual([]);
  });

  it('an entry whose agent reply was kept asks for that reply again, with the same request id, without the agent', async () => {
    const stateDir = tmpDir('access');
    const m = dm(ALICE, 'question');
    const requestId = ledgerRequestId(keyOf('default', m));
    await firstRun(stateDir, [m], async (h) => {
      await ledgerOf(h.deps).move(keyOf('default', m), { state: 'running', requestId, replyText: 'the answer' });
    });
    const h = secondRun(stateDir, T0 + MIN);
    h.connected = true;
    await until(() => h.of('reply.requested').length === 1, 'the kept reply');
    expect(h.of('reply.requested')[0]).toMatchObject({ chatJid: m.chatJid, text: 'the answer', source: 'agent', requestId });
    expect(h.of('message.accepted')).toEqual([]);
  });
});

describe('access policy: resume on a cluster node (leased accounts)', () => {
  const MIN = 60_000;
  async function leftUnfinished(stateDir: string, msgs: ReturnType<typeof dm>[]) {
    const h = harness({ dmPolicy: 'open', allowFrom: ['*'] }, { web: { catchUpMinutes: 30 } }, stateDir);
    const l = startInboundLedger(h.deps);
    const a = startAccessPolicy(h.deps);
    for (const m of msgs) await h.receive(m);
    await a.stop();
    await l.stop(); // the owner node died: nobody answered
  }
  function node(stateDir: string) {
    const h = harness({ dmPolicy: 'open', allowFrom: ['*'] }, { web: { catchUpMinutes: 30 } }, stateDir);
    h.clock.now = T0 + MIN;
    h.connected = false;
    h.deps = { ...h.deps, leased: true };
    h.start(startInboundLedger(h.deps));
    h.start(startAccessPolicy(h.deps));
    return h;
  }
  const taken = (h: ReturnType<typeof harness>) => h.bus.emit('account.lease.taken', { accountId: 'default', token: 2, at: h.clock.now });
  const connect = (h: ReturnType<typeof harness>) => {
    h.connected = true;
    h.bus.emit('account.connected', { accountId: 'default', identity: SELF, at: h.clock.now });
  };

  it('resumes nothing at start, only when the node takes the lease, once; new messages of the account come after', async () => {
    const stateDir = tmpDir('access');
    const m1 = dm(ALICE, 'one');
    await leftUnfinished(stateDir, [m1]);
    const h = node(stateDir);
    connect(h); // connected without the lease (cannot happen in a gateway): still nothing resumed
    await h.bus.idle();
    await ledgerOf(h.deps).flush();
    expect(h.of('message.accepted')).toEqual([]);
    expect(await h.deps.store.ledger.get(keyOf('default', m1))).toMatchObject({ state: 'accepted' }); // as the dead owner left it

    h.connected = false;
    taken(h);
    const m2 = dm(ALICE, 'two', { timestamp: T0 + MIN });
    h.bus.emit('message.received', { accountId: 'default', message: m2 });
    connect(h);
    await until(() => h.of('message.accepted').length === 2, 'both accepted');
    expect(h.of('message.accepted').map((a) => a.message.text)).toEqual(['one', 'two']);
    await h.bus.idle();
    expect(h.of('message.accepted')).toHaveLength(2);
  });

  it('a lease that ends before the account connects leaves its entries unfinished; the next take resumes them once', async () => {
    const stateDir = tmpDir('access');
    const m1 = dm(ALICE, 'one');
    await leftUnfinished(stateDir, [m1]);
    const h = node(stateDir);
    taken(h);
    await until(() => ledgerOf(h.deps).openNote(keyOf('default', m1)) !== undefined, 'queued, waiting for the connection');
    h.bus.emit('account.lease.ended', { accountId: 'default', reason: 'lease lost', at: h.clock.now });
    await h.bus.idle();
    await until(() => ledgerOf(h.deps).openNote(keyOf('default', m1)) === undefined, 'let go');
    expect(h.of('message.accepted')).toEqual([]);
    expect(await h.deps.store.ledger.get(keyOf('default', m1))).toMatchObject({ state: 'accepted' }); // as the dead owner left it

    taken(h);
    connect(h);
    await until(() => h.of('message.accepted').length === 1, 'resumed by the second take');
    await h.bus.idle();
    expect(h.of('message.accepted').map((a) => a.message.text)).toEqual(['one']);
  });
});

describe('access policy: offline catch-up (web.catchUpMinutes 30)', () => {
  const MIN = 60_000;
  function setup() {
    const h = harness({ dmPolicy: 'pairing' }, { web: { catchUpMinutes: 30 } });
    h.catchUpStart = T0 - 20 * MIN;
    h.start(startAccessPolicy(h.deps));
    return h;
  }
  const append = (ts: number, from = SELF_E164) =>
    from === SELF_E164 ? selfChat('q', { upsertType: 'append', offline: true, timestamp: ts }) : dm(from, 'q', { upsertType: 'append', offline: true, timestamp: ts });

  it('handles messages sent since the last disconnect, in order', async () => {
    const h = setup();
    await h.receive(append(T0 - 20 * MIN));
    await h.receive(append(T0 - 5 * MIN));
    expect(h.of('message.accepted').map((a) => a.message.timestamp)).toEqual([T0 - 20 * MIN, T0 - 5 * MIN]);
  });

  it('drops (marked read) a message from before the last disconnect, never with a pairing code', async () => {
    const h = setup();
    await h.receive(append(T0 - 20 * MIN - CATCH_UP_GRACE_MS - 1, BOB));
    expect(h.of('pairing.needed')).toEqual([]);
    expect(h.of('message.dropped').map((d) => [d.reason, d.markRead])).toEqual([['catch-up:before-window', true]]);
  });

  it('drops a message older than catchUpMinutes even when inside the disconnect', async () => {
    const h = setup();
    h.catchUpStart = T0 - 60 * MIN;
    await h.receive(append(T0 - 30 * MIN));
    await h.receive(append(T0 - 30 * MIN - 1));
    expect(h.of('message.accepted')).toHaveLength(1);
    expect(h.of('message.dropped').map((d) => d.reason)).toEqual(['catch-up:too-old']);
  });

  it('first connection after linking (window start = the link): anything before the link is history', async () => {
    const h = setup();
    h.catchUpStart = T0 - MIN;
    await h.receive(append(T0 - MIN - CATCH_UP_GRACE_MS - 1, BOB));
    await h.receive(append(T0 - MIN - CATCH_UP_GRACE_MS));
    expect(h.of('pairing.needed')).toEqual([]);
    expect(h.of('message.dropped').map((d) => d.reason)).toEqual(['catch-up:before-window']);
    expect(h.of('message.accepted')).toHaveLength(1);
  });

  it('live (notify) messages are never subject to the window', async () => {
    const h = setup();
    await h.receive(selfChat('live', { timestamp: T0 - 100 * MIN }));
    expect(h.of('message.accepted')).toHaveLength(1);
  });
});

describe('access policy: one queue per account and chat', () => {
  it('a chat waiting on the pairing store holds up only itself; its own messages keep their order', async () => {
    const h = harness({ dmPolicy: 'pairing' });
    let release: (ok: boolean) => void = () => undefined;
    const slow = new Promise<boolean>((r) => (release = r));
    h.start(startAccessPolicy(h.deps, { pairing: { isApproved: async (sender) => (sender === ALICE ? slow : true) } }));
    const [a1, a2] = [dm(ALICE, 'a1'), dm(ALICE, 'a2')];
    h.bus.emit('message.received', { accountId: 'default', message: a1 });
    h.bus.emit('message.received', { accountId: 'default', message: a2 });
    h.bus.emit('message.received', { accountId: 'default', message: dm(BOB, 'b1') }); // bus.idle() would wait for Alice
    // Bob's chat went through while Alice's first message still waits
    await expect.poll(() => h.of('message.accepted').map((a) => a.message.text)).toEqual(['b1']);
    release(true);
    await h.bus.idle();
    expect(h.of('message.accepted').map((a) => a.message.text)).toEqual(['b1', 'a1', 'a2']);
  });

  it('the same chat on two accounts is two queues', async () => {
    const h = harness({ dmPolicy: 'pairing', accounts: { default: {}, work: {} } });
    let release: (ok: boolean) => void = () => undefined;
    const slow = new Promise<boolean>((r) => (release = r));
    let calls = 0;
    h.start(startAccessPolicy(h.deps, { pairing: { isApproved: async () => (++calls === 1 ? slow : true) } }));
    h.bus.emit('message.received', { accountId: 'default', message: dm(ALICE, 'first') });
    h.bus.emit('message.received', { accountId: 'work', message: dm(ALICE, 'other account', { accountId: 'work' }) });
    await expect.poll(() => h.of('message.accepted').map((a) => a.message.text)).toEqual(['other account']);
    release(true);
    await h.bus.idle();
    expect(h.of('message.accepted').map((a) => [a.accountId, a.message.text])).toEqual([
      ['work', 'other account'],
      ['default', 'first'],
    ]);
  });
});
