import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WagateConfigInput } from '../../src/config/index.js';
import type { RunningActor } from '../../src/actors/actor.js';
import { replyMessageId } from '../../src/actors/reply-delivery.js';
import { replyHarness } from '../helpers/reply-harness.js';

let actor: RunningActor | null = null;
afterEach(() => {
  actor?.stop();
  actor = null;
  vi.useRealTimers();
});

function setup(raw: WagateConfigInput = {}, connected = true) {
  const h = replyHarness(raw, { connected });
  actor = h.actor;
  return h;
}

describe('reply delivery', () => {
  it('sends a 9,000-character reply as 3 messages, in order, none over the limit', async () => {
    const { conn, results, request } = setup();
    const text = Array.from({ length: 1000 }, (_, i) => `word${String(i).padStart(4, "0")}`).join(' ');
    expect(text.length).toBeGreaterThan(8900);
    await request(text);
    expect(conn.sent).toHaveLength(3);
    expect(conn.sent.every((s) => s.text.length <= 4000)).toBe(true);
    expect(conn.sent.map((s) => s.text).join(' ')).toBe(text);
    expect(results).toEqual([expect.objectContaining({ requestId: 'r1', messageIds: [0, 1, 2].map((i) => replyMessageId('default', 'r1', i)) })]);
  });

  it('honours textChunkLimit per account', async () => {
    const { conn, request } = setup({ channels: { whatsapp: { textChunkLimit: 10 } } });
    await request('aaaa bbbb cccc dddd');
    expect(conn.sent.map((s) => s.text)).toEqual(['aaaa bbbb', 'cccc dddd']);
  });

  it('adds messages.responsePrefix to the first chunk only; "" removes the self-chat prefix', async () => {
    const a = setup({ messages: { responsePrefix: '🤖' }, channels: { whatsapp: { textChunkLimit: 12 } } });
    await a.request('hello there friend');
    expect(a.conn.sent[0]!.text.startsWith('🤖 ')).toBe(true);
    expect(a.conn.sent.slice(1).some((s) => s.text.includes('🤖'))).toBe(false);
    const b = setup({ messages: { responsePrefix: '' } });
    await b.request('hi', { selfChat: true });
    expect(b.conn.sent[0]!.text).toBe('hi');
  });

  it('self-chat replies get [<identity.name>], or [wagate] without a name', async () => {
    const named = setup({ agents: { list: [{ id: 'main', identity: { name: 'Jarvis' } }] } });
    await named.request('hi', { selfChat: true });
    expect(named.conn.sent[0]!.text).toBe('[Jarvis] hi');
    const plain = setup();
    await plain.request('hi', { selfChat: true });
    expect(plain.conn.sent[0]!.text).toBe('[wagate] hi');
    const notSelf = setup();
    await notSelf.request('hi');
    expect(notSelf.conn.sent[0]!.text).toBe('hi');
  });

  it('retries transient failures (3 tries), waiting 500 ms then 2 s, and then delivers', async () => {
    vi.useFakeTimers();
    const { conn, results, request } = setup();
    conn.failNext = [Object.assign(new Error('Connection Closed'), { output: { statusCode: 428 } }), new Error('Timed Out')];
    const done = request('hello');
    await vi.advanceTimersByTimeAsync(499);
    expect(conn.failNext).toHaveLength(1); // the second try waits 500 ms
    await vi.advanceTimersByTimeAsync(1);
    expect(conn.failNext).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1999);
    expect(conn.sent).toHaveLength(0); // the third waits 2 s more
    await vi.advanceTimersByTimeAsync(1);
    await done;
    expect(conn.sent.map((s) => s.text)).toEqual(['hello']);
    expect(results[0]).toMatchObject({ messageIds: [replyMessageId('default', 'r1', 0)] });
  });

  it('a retry waiting for its backoff gives up when the gateway stops', async () => {
    vi.useFakeTimers();
    const { actor, conn, results, request } = setup();
    conn.failNext = [Object.assign(new Error('Connection Closed'), { output: { statusCode: 428 } })];
    const done = request('hello');
    await vi.advanceTimersByTimeAsync(100);
    actor.stop();
    await done; // settles without advancing the clock to the retry
    expect(conn.sent).toHaveLength(0);
    expect(results).toEqual([expect.objectContaining({ error: expect.objectContaining({ code: 'WAGATE_ERR_STOPPING' }) })]);
  });

  it('gives up after 3 transient failures, and does not retry a permanent one', async () => {
    vi.useFakeTimers();
    const t = setup();
    const blip = () => Object.assign(new Error('Connection Closed'), { output: { statusCode: 428 } });
    t.conn.failNext = [blip(), blip(), blip(), blip()];
    const done = t.request('hello');
    await vi.advanceTimersByTimeAsync(10_000);
    await done;
    expect(t.conn.failNext).toHaveLength(1); // 3 tries used
    expect(t.results[0]).toMatchObject({ error: { message: 'Connection Closed' } });
    const p = setup();
    p.conn.failNext = [Object.assign(new Error('bad request'), { output: { statusCode: 400 } }), blip()];
    await p.request('hello');
    expect(p.conn.failNext).toHaveLength(1); // one try only
    expect(p.results[0]).toMatchObject({ error: { message: 'bad request' } });
  });

  it('an account without a live connection fails at once with "No active WhatsApp listener"', async () => {
    const { results, request } = setup({}, false);
    await request('hello');
    expect(results[0]).toMatchObject({ error: { code: 'WAGATE_ERR_NO_LISTENER', message: expect.stringContaining('No active WhatsApp listener for account default') } });
  });
});
