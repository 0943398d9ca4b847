/**
 * Issue 13: replies wait for the connection (fake account states, a simulated clock
 * for the wait's deadline and the retry backoff) and carry deterministic ids.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { WagateConfigInput } from '../../src/config/index.js';
import { replyMessageId, type ReplyDeliveryOptions, type SendPlanned } from '../../src/actors/reply-delivery.js';
import { ConnectionWait } from '../../src/actors/reply/connection-wait.js';
import { replyHarness, type ReplyHarness } from '../helpers/reply-harness.js';
import { until } from '../helpers/until.js';

let h: ReplyHarness | null = null;
afterEach(() => {
  h?.actor.stop();
  h = null;
});

const blip = () => Object.assign(new Error('Connection Closed'), { output: { statusCode: 428 } });

function setup(raw: WagateConfigInput = {}, opts: ReplyDeliveryOptions = {}) {
  const clock = new SimulatedClock();
  clock.set(1_000_000);
  h = replyHarness(raw, { timers: clock, now: () => clock.now(), ...opts });
  return { ...h, clock, waiting: () => (h!.actor.summary() as { waiting: number }).waiting };
}

describe('replyMessageId', () => {
  it('is shaped like a Baileys id and depends only on account, request and index', () => {
    const id = replyMessageId('work', 'run-1', 0);
    expect(id).toMatch(/^3EB0[0-9A-F]{18}$/);
    expect(replyMessageId('work', 'run-1', 0)).toBe(id);
    const others = [replyMessageId('home', 'run-1', 0), replyMessageId('work', 'run-2', 0), replyMessageId('work', 'run-1', 1)];
    expect(new Set([id, ...others]).size).toBe(4);
  });

  it('is the same id every wagate version sends (a resumed reply after an upgrade keeps its ids)', () => {
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    expect(replyMessageId('work', 'run-1', 2)).toBe(`3EB0${sha('wagate-reply\u0000work\u0000run-1\u00002').slice(0, 18).toUpperCase()}`);
  });

  it('the same request sent twice goes out under the same ids', async () => {
    const t = setup({ channels: { whatsapp: { textChunkLimit: 10 } } });
    await t.request('aaaa bbbb cccc dddd');
    await t.request('aaaa bbbb cccc dddd');
    const ids = t.conn.sent.map((s) => s.id);
    expect(ids.slice(0, 2)).toEqual([replyMessageId('default', 'r1', 0), replyMessageId('default', 'r1', 1)]);
    expect(ids.slice(2)).toEqual(ids.slice(0, 2));
    expect(t.results.map((r) => ('messageIds' in r ? r.messageIds : null))).toEqual([ids.slice(0, 2), ids.slice(0, 2)]);
  });
});

describe('beforeSend', () => {
  it('learns every planned id before the first part goes out', async () => {
    const seen: { plan: SendPlanned; sentBefore: number }[] = [];
    const t = setup({ channels: { whatsapp: { textChunkLimit: 10 } } }, { beforeSend: async (plan) => void seen.push({ plan, sentBefore: h!.conn.sent.length }) });
    await t.request('aaaa bbbb cccc dddd eeee');
    expect(seen).toEqual([
      {
        plan: { accountId: 'default', chatJid: '15551234567@s.whatsapp.net', requestId: 'r1', messageIds: [0, 1, 2].map((i) => replyMessageId('default', 'r1', i)), at: 1_000_000 },
        sentBefore: 0,
      },
    ]);
    expect(t.conn.sent.map((s) => s.id)).toEqual(seen[0]!.plan.messageIds);
  });

  it('when it throws, nothing is sent and the reply fails with its error', async () => {
    const t = setup({}, { beforeSend: async () => Promise.reject(new Error('ledger unavailable')) });
    await t.request('hello');
    expect(t.conn.sent).toEqual([]);
    expect(t.results).toEqual([expect.objectContaining({ requestId: 'r1', error: expect.objectContaining({ message: 'ledger unavailable' }) })]);
  });
});

describe('replies wait for the connection', () => {
  it('a reply for an account backing off waits, through connecting, and goes out once connected', async () => {
    const t = setup();
    t.state('connected');
    t.state('backing-off');
    t.post('hello');
    await until(() => t.waiting() === 1, 'the reply waiting');
    t.state('connecting');
    await until(() => t.waiting() === 1, 'the reply waiting again');
    expect(t.conn.sent).toEqual([]);
    expect(t.results).toEqual([]);
    t.state('connected');
    await t.actor.idle();
    expect(t.conn.sent).toEqual([{ to: '15551234567@s.whatsapp.net', text: 'hello', id: replyMessageId('default', 'r1', 0) }]);
    expect(t.results).toEqual([expect.objectContaining({ requestId: 'r1', messageIds: [replyMessageId('default', 'r1', 0)] })]);
  });

  it("a chat's later reply never overtakes the one waiting", async () => {
    const t = setup();
    t.state('backing-off');
    t.post('first', { requestId: 'a' });
    t.post('second', { requestId: 'b' });
    await until(() => t.waiting() === 1, 'the first reply waiting');
    t.state('connected');
    await t.actor.idle();
    expect(t.conn.sent.map((s) => s.text)).toEqual(['first', 'second']);
    expect(t.results.map((r) => r.requestId)).toEqual(['a', 'b']);
  });

  it('a socket closed mid-reply: back to waiting, then the unsent chunks go out under their ids', async () => {
    const t = setup({ channels: { whatsapp: { textChunkLimit: 10 } } });
    t.state('connected');
    let sends = 0;
    t.conn.beforeSend = async () => {
      sends += 1;
      if (sends === 2) {
        t.state('backing-off'); // the close reached the machine first
        throw blip();
      }
    };
    t.post('aaaa bbbb cccc dddd eeee');
    await until(() => t.waiting() === 1, 'the reply waiting after the drop');
    expect(t.conn.sent.map((s) => s.text)).toEqual(['aaaa bbbb']);
    t.state('connected');
    await t.actor.idle();
    const ids = [0, 1, 2].map((i) => replyMessageId('default', 'r1', i));
    expect(t.conn.sent.map((s) => [s.text, s.id])).toEqual([
      ['aaaa bbbb', ids[0]],
      ['cccc dddd', ids[1]],
      ['eeee', ids[2]],
    ]);
    expect(t.results).toEqual([expect.objectContaining({ messageIds: ids })]);
  });

  it('a send failing before the machine heard of the close retries after 500 ms, then waits for the reconnect', async () => {
    const t = setup();
    t.state('connected');
    t.conn.failNext = [blip()];
    t.post('hello');
    await until(() => t.conn.failNext.length === 0, 'the first try');
    t.state('backing-off');
    t.clock.increment(500); // the retry finds the account reconnecting
    await until(() => t.waiting() === 1, 'the reply waiting');
    expect(t.conn.sent).toEqual([]);
    t.state('connected');
    await t.actor.idle();
    expect(t.conn.sent.map((s) => s.text)).toEqual(['hello']);
  });

  it.each([
    ['logged-out', { code: 'WAGATE_ERR_LOGGED_OUT', message: 'WhatsApp logged this device out (401); run `wagate channels login` again.' }],
    ['degraded', { code: 'WAGATE_ERR_CONFLICT', message: 'Conflict: another client uses this session; stop it, then restart the gateway.' }],
    ['degraded', { code: 'WAGATE_ERR_GAVE_UP', message: 'Reconnecting failed 12 times; check the network, then restart the gateway.' }],
  ] as const)('a waiting reply fails when the account ends %s (%s)', async (to, error) => {
    const t = setup();
    t.state('backing-off');
    t.post('hello');
    await until(() => t.waiting() === 1, 'the reply waiting');
    t.state(to, error);
    await t.actor.idle();
    expect(t.conn.sent).toEqual([]);
    expect(t.results).toEqual([
      expect.objectContaining({
        requestId: 'r1',
        error: { code: error.code, message: `Reply not sent: account default is ${to} and will not reconnect by itself (${error.message}).` },
      }),
    ]);
  });

  it('a reply for an account already logged out fails at once', async () => {
    const t = setup();
    t.state('logged-out', { code: 'WAGATE_ERR_LOGGED_OUT', message: 'logged out' });
    await t.request('hello');
    expect(t.results).toEqual([expect.objectContaining({ error: expect.objectContaining({ code: 'WAGATE_ERR_LOGGED_OUT' }) })]);
  });

  it('waits at most web.catchUpMinutes, then fails with WAGATE_ERR_REPLY_EXPIRED', async () => {
    const t = setup({ web: { catchUpMinutes: 10 } });
    t.state('backing-off');
    t.post('hello');
    await until(() => t.waiting() === 1, 'the reply waiting');
    t.clock.increment(10 * 60_000 - 1);
    t.state('connecting'); // wakes it: still inside the window, waits on
    await until(() => t.waiting() === 1, 'the reply waiting on');
    expect(t.results).toEqual([]);
    t.clock.increment(1);
    await t.actor.idle();
    expect(t.conn.sent).toEqual([]);
    expect(t.results).toEqual([
      expect.objectContaining({
        error: {
          code: 'WAGATE_ERR_REPLY_EXPIRED',
          message: 'Reply not sent: account default was not connected again within web.catchUpMinutes (10 min; still connecting).',
        },
      }),
    ]);
  });

  it('stopping abandons a waiting reply as unfinished (WAGATE_ERR_STOPPING)', async () => {
    const t = setup();
    t.state('backing-off');
    t.post('hello');
    await until(() => t.waiting() === 1, 'the reply waiting');
    t.actor.stop();
    await t.actor.idle();
    expect(t.results).toEqual([expect.objectContaining({ error: expect.objectContaining({ code: 'WAGATE_ERR_STOPPING' }) })]);
  });

  it('a send stuck on a dead socket does not hold the stop', async () => {
    const t = setup();
    t.state('connected');
    let started = false;
    t.conn.beforeSend = () => {
      started = true;
      return new Promise<void>(() => undefined); // never acknowledged
    };
    t.post('hello');
    await until(() => started, 'the send started');
    expect(t.actor.busy()).toBe(true);
    t.actor.stop();
    await t.bus.idle(); // the supervisor's stop waits on this
    expect(t.actor.busy()).toBe(false);
    expect(t.results).toEqual([expect.objectContaining({ error: expect.objectContaining({ code: 'WAGATE_ERR_STOPPING' }) })]);
  });
});

describe('ConnectionWait.readyNow (a send to a connected account skips the wait)', () => {
  it('is true for an account never heard of or connected, false while it is away or once stopping', () => {
    const clock = new SimulatedClock();
    const wait = new ConnectionWait(() => clock.now(), clock);
    const live = new AbortController();
    const state = (to: 'connected' | 'backing-off' | 'logged-out') =>
      wait.changed({ accountId: 'work', from: 'connected', to, attempt: 0, nextRetryAt: null, lastClose: null, error: null, at: 0 });
    expect(wait.readyNow('work', live.signal)).toBe(true);
    state('backing-off');
    expect(wait.readyNow('work', live.signal)).toBe(false);
    state('connected');
    expect(wait.readyNow('work', live.signal)).toBe(true);
    state('logged-out');
    expect(wait.readyNow('work', live.signal)).toBe(false);
    expect(wait.readyNow('other', live.signal)).toBe(true);
    live.abort();
    expect(wait.readyNow('other', live.signal)).toBe(false);
  });
});
