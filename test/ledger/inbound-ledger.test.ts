/** The inbound ledger service (src/ledger/inbound-ledger.ts) and its actor (src/actors/inbound-ledger.ts) on a real SQLite store. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ledgerOf } from '../../src/actors/actor.js';
import { startInboundLedger } from '../../src/actors/inbound-ledger.js';
import { InboundLedger, keyOf, ledgerRequestId } from '../../src/ledger/inbound-ledger.js';
import { isExpired, loadResumable } from '../../src/ledger/resume.js';
import { unexplained } from '../../src/ledger/audit.js';
import type { Store } from '../../src/store/port.js';
import type { LongTimer } from '../../src/timers.js';
import { ALICE, BOB, T0, dm, harness } from '../access/harness.js';
import { tempSqliteStore } from '../store/helpers/temp.js';

let h: Awaited<ReturnType<typeof tempSqliteStore>>;
let store: Store;
beforeEach(async () => {
  h = await tempSqliteStore();
  store = h.store;
});
afterEach(() => h.cleanup());

describe('InboundLedger', () => {
  it('records arrivals of one tick in one transaction; each caller learns its verdict once committed', async () => {
    const ledger = new InboundLedger(store, { now: () => T0 });
    const a = dm(ALICE, 'one');
    const b = dm(BOB, 'two');
    const verdicts = await Promise.all([ledger.arrive('default', a), ledger.arrive('default', b), ledger.arrive('default', { ...a })]);
    expect(verdicts).toEqual(['new', 'new', 'duplicate']);
    expect(ledger.summary()).toMatchObject({ commits: 1, failedCommits: 0, queued: 0 });
    const e = await store.ledger.get(keyOf('default', a));
    expect(e).toMatchObject({ state: 'received', sender: a.from.jid, waTimestamp: a.timestamp, upsertType: 'notify', receivedAt: T0 });
    expect(JSON.parse(e!.message)).toEqual(a);
    // a later tick is another commit
    expect(await ledger.arrive('default', { ...b })).toBe('duplicate');
    expect(ledger.summary().commits).toBe(2);
  });

  it('applies moves in the order asked, after the arrival they follow, and closes finished entries for the audit', async () => {
    const ledger = new InboundLedger(store, { now: () => T0 });
    const m = dm(ALICE, 'q');
    const key = keyOf('default', m);
    const requestId = ledgerRequestId(key);
    void ledger.arrive('default', m);
    void ledger.move(key, { state: 'accepted' });
    void ledger.move(key, { state: 'running', requestId });
    await ledger.flush();
    expect(ledger.openNote(key)).toBe('being handled');
    expect(await ledger.moveByRequest('default', requestId, { state: 'replied', replyIds: ['OUT1'] })).toBe(true);
    expect(await ledger.moveByRequest('default', 'not-a-ledger-request', { state: 'replied' })).toBe(false);
    expect(await store.ledger.get(key)).toMatchObject({ state: 'replied', requestId, replyIds: ['OUT1'] });
    expect(ledger.openNote(key)).toBeUndefined();
  });

  it('a held message (message.held) is recorded `received` at once; its arrival later is its first (new), a second one a duplicate', async () => {
    const ledger = new InboundLedger(store, { now: () => T0 });
    const m = dm(ALICE, 'held');
    const key = keyOf('default', m);
    // Recorded and arrived in the same tick, and in later ticks: both are the first arrival.
    const [recorded, verdict] = await Promise.all([ledger.arriveHeld('default', m), ledger.arrive('default', { ...m })]);
    expect([recorded, verdict]).toEqual([true, 'new']);
    expect(await ledger.arrive('default', { ...m })).toBe('duplicate');
    const n = dm(BOB, 'held longer');
    expect(await ledger.arriveHeld('default', n)).toBe(true);
    expect(await store.ledger.get(keyOf('default', n))).toMatchObject({ state: 'received', upsertType: 'notify' });
    expect(ledger.openNote(keyOf('default', n))).toMatch(/^held until/);
    expect(await ledger.arrive('default', { ...n })).toBe('new');
    expect(ledger.openNote(keyOf('default', n))).toBe('being handled');
    // Known before (an earlier run handled it): holding it again records nothing, its arrival is a duplicate.
    expect(await ledger.arriveHeld('default', { ...m })).toBe(false);
    expect(await ledger.arrive('default', { ...m })).toBe('duplicate');
    expect(await store.ledger.get(key)).toMatchObject({ state: 'received' });
  });

  it('request ids are deterministic per entry and differ between entries', () => {
    const k = { accountId: 'default', chatJid: 'x@s.whatsapp.net', messageId: 'M1' };
    expect(ledgerRequestId(k)).toBe(ledgerRequestId({ ...k }));
    expect(ledgerRequestId(k)).not.toBe(ledgerRequestId({ ...k, messageId: 'M2' }));
    expect(ledgerRequestId(k)).not.toBe(ledgerRequestId({ ...k, accountId: 'work' }));
    expect(ledgerRequestId(k)).toMatch(/^in-[0-9a-f]{24}$/);
  });

  it('knows our own messages: delivered in this process, or kept in store.sent', async () => {
    const ledger = new InboundLedger(store, { now: () => T0 });
    ledger.rememberSent('default', ['OWN1']);
    await store.sent.put('default', { id: 'OWN2', chatJid: 'x@s.whatsapp.net', message: 'p', at: T0 }, 10);
    expect(await ledger.arrive('default', dm(ALICE, 'a', { id: 'OWN1' }))).toBe('own-message');
    // our own message comes back as fromMe (our other device, the self-chat): looked up in store.sent
    expect(await ledger.arrive('default', dm(ALICE, 'b', { id: 'OWN2', fromMe: true }))).toBe('own-message');
    // a contact's message is never one we sent: not looked up (ids are random; a clash is not ours)
    expect(await ledger.arrive('default', dm(ALICE, 'b2', { id: 'OWN2', chatJid: 'other@s.whatsapp.net' }))).toBe('new');
    expect(await ledger.arrive('work', dm(ALICE, 'c', { id: 'OWN1' }))).toBe('new');
  });

  it('a failed commit rejects every caller of the batch; the next batch works', async () => {
    const ledger = new InboundLedger(store, { now: () => T0 });
    await store.close();
    await expect(ledger.arrive('default', dm(ALICE, 'x'))).rejects.toMatchObject({ code: 'WAGATE_ERR_STORE' });
    expect(ledger.summary().failedCommits).toBe(1);
    store = await h.reopen();
    const again = new InboundLedger(store, { now: () => T0 });
    expect(await again.arrive('default', dm(ALICE, 'y'))).toBe('new');
  });
});

describe('resume and audit rules', () => {
  it('resumes in arrival order, except that a held live message goes after the older offline ones of its chat recorded after it', async () => {
    let now = T0;
    const ledger = new InboundLedger(store, { now: () => now++ });
    // Chaos seed 1009: a live message held behind the backlog is recorded first; the older offline ones of its chat come after it.
    const held = dm(ALICE, 'second (live, held)', { timestamp: T0 - 5000, upsertType: 'notify', held: true });
    const offline = dm(ALICE, 'first (offline)', { timestamp: T0 - 5000, upsertType: 'append', offline: true });
    const older = dm(ALICE, 'zeroth (offline, a second earlier)', { timestamp: T0 - 6000, upsertType: 'append', offline: true });
    const newer = dm(ALICE, 'third (offline, a second later: a later connection)', { timestamp: T0 - 4000, upsertType: 'append', offline: true });
    // Chaos seed 2001: a live message (not held), a kill, then an offline one in the same second: arrival is the order.
    const bob1 = dm(BOB, 'bob 1 (live)', { timestamp: T0 - 5000 });
    const bob2 = dm(BOB, 'bob 2 (offline, same second)', { timestamp: T0 - 5000, upsertType: 'append', offline: true });
    await ledger.arriveHeld('default', held);
    for (const m of [bob1, older, offline, bob2, newer]) await ledger.arrive('default', m);
    const { resume } = await loadResumable(ledger, { accounts: ['default'], now: T0, catchUpMinutes: 30 });
    const order = (chat: string) => resume.filter((e) => e.chatJid === chat).map((e) => e.messageId);
    expect(order(held.chatJid)).toEqual([older.id, offline.id, held.id, newer.id]);
    expect(order(bob1.chatJid)).toEqual([bob1.id, bob2.id]);
  });

  it('the catch-up window counts from WhatsApp’s timestamp, else from the record', () => {
    expect(isExpired({ waTimestamp: T0, receivedAt: T0 + 99 * 60_000 }, T0 + 30 * 60_000, 30)).toBe(false);
    expect(isExpired({ waTimestamp: T0, receivedAt: T0 }, T0 + 30 * 60_000 + 1, 30)).toBe(true);
    expect(isExpired({ waTimestamp: 0, receivedAt: T0 }, T0 + 30 * 60_000 + 1, 30)).toBe(true);
  });

  it('unexplained: unfinished, not held by the gateway, of a running account; without a gateway every unfinished entry', async () => {
    const ledger = new InboundLedger(store, { now: () => T0 });
    const [held, loose, other, done] = [dm(ALICE, 'held'), dm(ALICE, 'loose'), dm(BOB, 'other account'), dm(BOB, 'done')];
    await Promise.all([ledger.arrive('default', held), ledger.arrive('default', loose), ledger.arrive('work', other), ledger.arrive('default', done)]);
    await ledger.move(keyOf('default', done), { state: 'replied' });
    ledger.markClosed(keyOf('default', loose)); // as after a restart: nobody holds it
    const all = await store.ledger.list();
    const inGateway = unexplained(all, { held: (e) => ledger.openNote(e), running: new Set(['default']) });
    expect(inGateway.map((e) => e.messageId)).toEqual([loose.id]);
    expect(inGateway[0]?.note).toMatch(/left in received/);
    expect(unexplained(all, {}).map((e) => e.messageId)).toEqual([held.id, loose.id, other.id]);
  });
});

describe('inbound ledger actor', () => {
  it('moves entries as the bus tells (a duplicate drop touches nothing; a run aborted by the stop stays running)', async () => {
    const hx = harness({ dmPolicy: 'open', allowFrom: ['*'] });
    const actor = hx.start(startInboundLedger(hx.deps));
    const ledger = ledgerOf(hx.deps);
    const [a, b, c, d] = [dm(ALICE, 'a'), dm(ALICE, 'b'), dm(BOB, 'c'), dm(BOB, 'd')];
    for (const m of [a, b, c, d]) await ledger.arrive('default', m);
    const route = { agentId: 'main', sessionKey: 'agent:main:main', wasMentioned: false, activation: null };
    hx.bus.emit('message.accepted', { accountId: 'default', message: a, route });
    hx.bus.emit('message.gated', { accountId: 'default', message: b, reason: 'no-mention' });
    hx.bus.emit('message.dropped', { accountId: 'default', message: c, reason: 'not-allowlisted', markRead: false });
    hx.bus.emit('message.dropped', { accountId: 'default', message: c, reason: 'duplicate', markRead: false });
    hx.bus.emit('pairing.needed', { accountId: 'default', message: d, sender: BOB });
    const rid = ledgerRequestId(keyOf('default', a));
    await ledger.move(keyOf('default', a), { state: 'running', requestId: rid });
    hx.bus.emit('reply.failed', { accountId: 'default', chatJid: a.chatJid, requestId: rid, error: { code: 'WAGATE_ERR_NO_LISTENER', message: 'nope' }, at: T0 });
    await ledger.flush();
    const states = async () => (await hx.deps.store.ledger.list()).map((e) => [e.messageId, e.state, e.reason ?? e.error]);
    expect(await states()).toEqual([
      [a.id, 'failed', 'WAGATE_ERR_NO_LISTENER: nope'],
      [b.id, 'gated', 'no-mention'],
      [c.id, 'dropped', 'not-allowlisted'],
      [d.id, 'pairing', null],
    ]);
    // stopping: an aborted run is not a failure
    const e = dm(ALICE, 'e');
    await ledger.arrive('default', e);
    const rid2 = ledgerRequestId(keyOf('default', e));
    await ledger.move(keyOf('default', e), { state: 'running', requestId: rid2 });
    hx.bus.emit('gateway.stopping', { accountId: null, reason: 'test', at: T0 });
    hx.bus.emit('agent.run.finished', { accountId: 'default', runId: rid2, origin: 'message', status: 'error', durationMs: 1, messageId: e.id, at: T0 });
    await actor.stop();
    expect((await hx.deps.store.ledger.get(keyOf('default', e)))?.state).toBe('running');
  });

  it('prunes entries older than web.ledger.retentionDays at start and on its timer, on the injected clock', async () => {
    const hx = harness({}, { web: { ledger: { retentionDays: 2 } } });
    const ledger = ledgerOf(hx.deps);
    hx.clock.now = T0 - 3 * 86_400_000;
    await ledger.arrive('default', dm(ALICE, 'three days old'));
    hx.clock.now = T0 - 1 * 86_400_000;
    await ledger.arrive('default', dm(ALICE, 'one day old'));
    hx.clock.now = T0;
    let tick: (() => void) | null = null;
    let everyMs = 0;
    const actor = hx.start(
      startInboundLedger(hx.deps, {
        pruneEveryMs: 60_000,
        every: (fn, ms) => {
          tick = fn;
          everyMs = ms;
          return { clear: () => (tick = null), unref: () => ({}) as LongTimer } as LongTimer;
        },
      }),
    );
    expect(everyMs).toBe(60_000);
    await ledger.flush();
    expect((await hx.deps.store.ledger.list()).map((e) => e.message.includes('one day old'))).toEqual([true]);
    // a day later the other one is past the retention too
    hx.clock.now = T0 + 1 * 86_400_000 + 1;
    tick!();
    await ledger.flush();
    expect(await hx.deps.store.ledger.list()).toEqual([]);
    expect(actor.summary()).toMatchObject({ pruned: 2, retentionDays: 2 });
    await actor.stop();
    expect(tick).toBeNull();
  });
});
