import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChatTyping, startTyping, TypingRefresh } from '../../src/agents/typing.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeConnection } from '../helpers/fake-transport.js';

const R = 10_000;
const quiet = { debug: () => undefined };

/** Each chat with its own interval, as before the shared timer: re-armed `R` after each firing. */
function perChatIntervals(clock: ManualClock, send: () => void): () => void {
  let handle: unknown;
  const fire = () => {
    handle = clock.setTimeout(fire, R);
    send();
  };
  handle = clock.setTimeout(fire, R);
  return () => clock.clearTimeout(handle);
}

describe('TypingRefresh (one timer for every chat)', () => {
  it('refreshes each chat every refreshMs from its start, as an interval per chat did', () => {
    const clock = new ManualClock();
    const refresh = new TypingRefresh(R, clock);
    const sent: string[] = [];
    refresh.add(() => sent.push(`a@${clock.now()}`));
    clock.advance(3_000);
    refresh.add(() => sent.push(`b@${clock.now()}`));
    clock.advance(32_000);
    expect(sent).toEqual(['a@10000', 'b@13000', 'a@20000', 'b@23000', 'a@30000', 'b@33000']);
    expect(clock.pending).toBe(1);
  });

  it('one chat stopping does not stop another', () => {
    const clock = new ManualClock();
    const refresh = new TypingRefresh(R, clock);
    const sent: string[] = [];
    const stopA = refresh.add(() => sent.push(`a@${clock.now()}`));
    clock.advance(1_000);
    refresh.add(() => sent.push(`b@${clock.now()}`));
    clock.advance(12_000);
    stopA();
    clock.advance(20_000);
    expect(sent).toEqual(['a@10000', 'b@11000', 'b@21000', 'b@31000']);
    expect(refresh.size).toBe(1);
  });

  it('stops when the last chat stops: nothing more is sent and the timer ends at its next tick', () => {
    const clock = new ManualClock();
    const refresh = new TypingRefresh(R, clock);
    let sent = 0;
    const stopA = refresh.add(() => (sent += 1));
    const stopB = refresh.add(() => (sent += 1));
    clock.advance(10_000);
    expect(sent).toBe(2);
    stopA();
    stopB();
    expect(refresh.size).toBe(0);
    clock.advance(100_000);
    expect(sent).toBe(2);
    expect(clock.pending).toBe(0);
    expect(refresh.armed).toBe(false);
  });

  it('a chat starting while the timer is still armed for a stopped one reuses it, and is refreshed on time', () => {
    const clock = new ManualClock();
    const refresh = new TypingRefresh(R, clock);
    const sent: number[] = [];
    refresh.add(() => sent.push(-1))(); // stops at once: the timer stays armed for 10 000
    clock.advance(4_000);
    refresh.add(() => sent.push(clock.now()));
    expect(clock.pending).toBe(1);
    clock.advance(20_000);
    expect(sent).toEqual([14_000, 24_000]);
  });

  it('stop() clears the timer and forgets every chat', () => {
    const clock = new ManualClock();
    const refresh = new TypingRefresh(R, clock);
    let sent = 0;
    refresh.add(() => (sent += 1));
    refresh.stop();
    expect(clock.pending).toBe(0);
    clock.advance(50_000);
    expect(sent).toBe(0);
  });

  it('sends exactly what an interval per chat sends, for any schedule of starts and stops', () => {
    const op = fc.record({ wait: fc.integer({ min: 0, max: 25_000 }), chat: fc.integer({ min: 0, max: 4 }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const run = (shared: boolean): string[] => {
          const clock = new ManualClock();
          const refresh = new TypingRefresh(R, clock);
          const sent: string[] = [];
          const stops = new Map<number, () => void>();
          for (const { wait, chat } of ops) {
            clock.advance(wait);
            const stop = stops.get(chat);
            if (stop) {
              stop();
              stops.delete(chat);
            } else {
              const send = () => sent.push(`${chat}@${clock.now()}`);
              stops.set(chat, shared ? refresh.add(send) : perChatIntervals(clock, send));
            }
          }
          clock.advance(60_000);
          return sent.sort();
        };
        expect(run(true)).toEqual(run(false));
      }),
      { numRuns: 300 },
    );
  });
});

describe('ChatTyping over the shared refresh', () => {
  it('composing, refreshed while working, paused once per chat; one chat done leaves the other composing', async () => {
    const clock = new ManualClock();
    const refresh = new TypingRefresh(R, clock);
    const conn = new FakeConnection('resume', () => undefined);
    const typing = new ChatTyping((_accountId, chatJid) => startTyping(() => conn, chatJid, quiet, refresh));
    const a = typing.turn('default', 'a@s.whatsapp.net');
    const b = typing.turn('default', 'b@s.whatsapp.net');
    a.start();
    clock.advance(5_000);
    b.start();
    clock.advance(6_000); // a refreshed at 10 000
    a.done();
    clock.advance(10_000); // b refreshed at 15 000; a not again
    const states = (jid: string) => conn.presence.filter((p) => p.chatJid === jid).map((p) => p.state);
    expect(states('a@s.whatsapp.net')).toEqual(['composing', 'composing', 'paused']);
    expect(states('b@s.whatsapp.net')).toEqual(['composing', 'composing']);
    expect(typing.active).toBe(1);
    b.done();
    clock.advance(30_000);
    expect(states('b@s.whatsapp.net')).toEqual(['composing', 'composing', 'paused']);
    expect(typing.active).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
