import { keyOf, ledgerRequestId } from '../../src/ledger/inbound-ledger.js';
import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startAgentDispatch, type AgentDispatchOptions } from '../../src/actors/agent-dispatch.js';
import { runControlAgent, type AgentRunEvent, type AgentRunParams } from '../../src/agents/control-run.js';
import { createAgentRunner, type AgentRunnerOptions } from '../../src/agents/runner.js';
import type { AgentProvider, ProviderResult, ProviderRunInput } from '../../src/agents/providers/types.js';
import { SessionStore } from '../../src/agents/session-store.js';
import type { MessageRoute } from '../../src/bus/events.js';
import type { InboundMessage } from '../../src/ports/inbound.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { ALICE, BOB, GROUP, dm, gm, harness, selfChat, type Harness } from '../access/harness.js';

/** A provider the test drives: each run waits until the test settles it. */
class ScriptedProvider implements AgentProvider {
  readonly name = 'command' as const;
  readonly calls: { input: ProviderRunInput; resolve: (r: ProviderResult) => void; reject: (e: Error) => void }[] = [];
  auto: ((input: ProviderRunInput) => ProviderResult | Error) | null = null;
  run(input: ProviderRunInput): Promise<ProviderResult> {
    return new Promise((resolve, reject) => {
      input.signal.addEventListener('abort', () => reject(new Error('aborted')));
      if (this.auto) {
        const r = this.auto(input);
        return r instanceof Error ? reject(r) : resolve(r);
      }
      this.calls.push({ input, resolve, reject });
    });
  }
}

const MAIN = 'agent:main:main';
const route = (sessionKey: string, over: Partial<MessageRoute> = {}): MessageRoute => ({
  agentId: 'main',
  sessionKey,
  wasMentioned: false,
  activation: null,
  ...over,
});
const accept = (h: Harness, message: InboundMessage, r: MessageRoute) =>
  h.bus.emit('message.accepted', { accountId: 'default', message, route: r });
const until = (cond: () => boolean) => expect.poll(cond, { timeout: 5000, interval: 5 }).toBe(true);

function setup(
  whatsapp: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
  opts: AgentDispatchOptions = {},
  runnerOpts: AgentRunnerOptions = {},
) {
  const h = harness(whatsapp, extra);
  const provider = new ScriptedProvider();
  let n = 0;
  const runner = h.start(createAgentRunner(h.deps, { providerFor: () => provider, newRunId: () => `run-${++n}`, ...runnerOpts }));
  const actor = h.start(startAgentDispatch(h.deps, runner, { timeZone: 'UTC', ...opts }));
  const store = new SessionStore(h.deps.store.sessions);
  /** The control method `agent` through the same runner. */
  const control = (params: AgentRunParams, emit: (e: AgentRunEvent) => void) => runControlAgent(runner, h.deps, params, emit);
  return { h, provider, actor, runner, store, control };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('agent dispatch', () => {
  it('runs the agent for an accepted DM: typing, one reply.requested, session turns', async () => {
    const { h, provider, actor, runner, store } = setup();
    provider.auto = () => ({ text: '  pong \n' });
    const msg = dm(ALICE, 'ping');
    accept(h, msg, route(MAIN));
    await actor.idle();

    expect(h.of('reply.requested')).toEqual([
      // the run id is the message's ledger request id: the same on a resume after a restart
      { accountId: 'default', chatJid: msg.chatJid, text: 'pong', source: 'agent', requestId: ledgerRequestId(keyOf('default', msg)) },
    ]);
    expect(h.conn.presence).toEqual([
      { chatJid: msg.chatJid, state: 'composing' },
      { chatJid: msg.chatJid, state: 'paused' },
    ]);
    const entries = await store.read(MAIN);
    expect(entries.map((e) => [e.role, e.text])).toEqual([
      ['user', 'ping'],
      ['assistant', 'pong'],
    ]);
    expect(entries[0]).toMatchObject({ messageId: msg.id, chatJid: msg.chatJid, sender: `Someone (${ALICE})` });
    expect(runner.summary()).toMatchObject({ inFlight: 0, queued: 0, runs: { started: 1, ok: 1, failed: 0 }, lastRun: { runId: ledgerRequestId(keyOf('default', msg)), origin: 'message', status: 'ok' } });
    expect(actor.summary()).toMatchObject({ messages: 1, running: 0 });
  });

  it('gives the provider the envelope (header + text) and the session so far', async () => {
    const { h, provider, actor } = setup();
    provider.auto = (input) => ({ text: `reply to ${input.envelope.RawBody}` });
    accept(h, dm(ALICE, 'first'), route(MAIN));
    accept(h, dm(BOB, 'second'), route(MAIN));
    await actor.idle();
    provider.auto = null;
    accept(h, dm(ALICE, 'third'), route(MAIN));
    await until(() => provider.calls.length === 1);
    const input = provider.calls[0]!.input;
    expect(input.envelope.Body).toBe(`[WhatsApp ${ALICE} 2025-01-01 11:59 UTC] third`);
    expect(input.history.map((e) => e.text)).toEqual(['first', 'reply to first', 'second', 'reply to second']);
    expect(input.agentId).toBe('main');
    expect(input.sessionKey).toBe(MAIN);
    provider.calls[0]!.resolve({ text: 'ok' });
    await actor.idle();
  });

  it('runs one at a time per session, in arrival order; other sessions are not blocked', async () => {
    const { h, provider, actor, runner } = setup();
    const a1 = dm(ALICE, 'a1');
    const a2 = dm(ALICE, 'a2');
    const group = gm(BOB, 'g1');
    accept(h, a1, route(MAIN));
    accept(h, a2, route(MAIN));
    accept(h, group, route(`agent:main:whatsapp:group:${GROUP}`));
    await until(() => provider.calls.length === 2);
    // The two sessions run side by side, so which provider call starts first is
    // not defined; within Alice's session a1 comes before a2.
    const call = (body: string) => provider.calls.find((c) => c.input.envelope.RawBody === body)!;
    expect(provider.calls.map((c) => c.input.envelope.RawBody).sort()).toEqual(['a1', 'g1']);
    expect(runner.summary()).toMatchObject({ inFlight: 2, queued: 1 });

    call('g1').resolve({ text: 'group reply' });
    await until(() => h.of('reply.requested').length === 1);
    expect(provider.calls).toHaveLength(2); // a2 still waits for a1
    call('a1').resolve({ text: 'r1' });
    await until(() => provider.calls.length === 3);
    expect(provider.calls[2]!.input.envelope.RawBody).toBe('a2');
    expect(provider.calls[2]!.input.history.map((e) => e.text)).toEqual(['a1', 'r1']);
    provider.calls[2]!.resolve({ text: 'r2' });
    await actor.idle();
    expect(h.of('reply.requested').map((r) => r.text)).toEqual(['group reply', 'r1', 'r2']);
  });

  it('a provider error sends nothing; the next message still runs', async () => {
    const { h, provider, actor, runner, store } = setup();
    provider.auto = () => new Error('exited with code 3: boom');
    const msg = dm(ALICE, 'hi');
    accept(h, msg, route(MAIN));
    await actor.idle();
    expect(h.of('reply.requested')).toEqual([]);
    expect(h.conn.sent).toEqual([]);
    expect(h.conn.presence.at(-1)).toEqual({ chatJid: msg.chatJid, state: 'paused' });
    expect(runner.summary()).toMatchObject({ runs: { failed: 1 }, lastRun: { status: 'error', error: 'exited with code 3: boom' } });
    expect((await store.read(MAIN)).map((e) => e.role)).toEqual(['user']);

    provider.auto = () => ({ text: 'back' });
    accept(h, dm(ALICE, 'again'), route(MAIN));
    await actor.idle();
    expect(h.of('reply.requested').map((r) => r.text)).toEqual(['back']);
  });

  it('an empty reply is not sent', async () => {
    const { h, provider, actor } = setup();
    provider.auto = () => ({ text: '  \n' });
    accept(h, dm(ALICE, 'hi'), route(MAIN));
    await actor.idle();
    expect(h.of('reply.requested')).toEqual([]);
  });

  it('media replies travel with reply.requested', async () => {
    const { h, provider, actor } = setup();
    provider.auto = () => ({ text: 'look', media: [{ path: '/tmp/x.jpg', caption: 'x' }] });
    accept(h, dm(ALICE, 'hi'), route(MAIN));
    await actor.idle();
    expect(h.of('reply.requested')[0]).toMatchObject({ text: 'look', media: [{ path: '/tmp/x.jpg', caption: 'x' }] });
  });

  it('typing failures (account offline) are ignored', async () => {
    const { h, provider, actor } = setup();
    h.connected = false;
    provider.auto = () => ({ text: 'still here' });
    accept(h, dm(ALICE, 'hi'), route(MAIN));
    await actor.idle();
    expect(h.of('reply.requested').map((r) => r.text)).toEqual(['still here']);
  });

  it('refreshes composing while a long run works', async () => {
    const clock = new ManualClock();
    const { h, provider, actor } = setup({}, {}, {}, { typingRefreshMs: 10_000, typingClock: clock });
    accept(h, dm(ALICE, 'slow'), route(MAIN));
    await until(() => provider.calls.length === 1);
    clock.advance(25_000);
    expect(h.conn.presence.map((p) => p.state)).toEqual(['composing', 'composing', 'composing']);
    provider.calls[0]!.resolve({ text: 'done' });
    await actor.idle();
    clock.advance(60_000);
    expect(clock.pending).toBe(0);
    expect(h.conn.presence.map((p) => p.state)).toEqual(['composing', 'composing', 'composing', 'paused']);
  });

  it('a chat with queued messages keeps composing between its runs: one composing, one paused after the last answer', async () => {
    const { h, provider, actor, runner } = setup();
    const [a1, a2, a3] = [dm(ALICE, 'a1'), dm(ALICE, 'a2'), dm(ALICE, 'a3')];
    const b1 = dm(BOB, 'b1');
    accept(h, a1, route(MAIN));
    accept(h, a2, route(MAIN));
    accept(h, b1, route(MAIN)); // same session, another chat: queued between Alice's runs
    accept(h, a3, route(MAIN));
    const states = (jid: string) => h.conn.presence.filter((p) => p.chatJid === jid).map((p) => p.state);
    for (let i = 0; i < 4; i++) {
      await until(() => provider.calls.length === i + 1);
      provider.calls[i]!.resolve({ text: `r${i}` });
    }
    await actor.idle();
    expect(provider.calls.map((c) => c.input.envelope.RawBody)).toEqual(['a1', 'a2', 'b1', 'a3']);
    expect(h.of('reply.requested').map((r) => r.text)).toEqual(['r0', 'r1', 'r2', 'r3']);
    expect(states(a1.chatJid)).toEqual(['composing', 'paused']);
    expect(states(b1.chatJid)).toEqual(['composing', 'paused']);
    expect(runner.summary()).toMatchObject({ typingChats: 0 });
  });

  it('typing stops when the last queued run of a chat fails', async () => {
    const { h, provider, actor } = setup();
    accept(h, dm(ALICE, 'one'), route(MAIN));
    accept(h, dm(ALICE, 'two'), route(MAIN));
    await until(() => provider.calls.length === 1);
    provider.calls[0]!.resolve({ text: 'first' });
    await until(() => provider.calls.length === 2);
    expect(h.conn.presence.map((p) => p.state)).toEqual(['composing']);
    provider.calls[1]!.reject(new Error('exited with code 1'));
    await actor.idle();
    expect(h.conn.presence.map((p) => p.state)).toEqual(['composing', 'paused']);
  });

  it('self-chat replies are flagged for the response prefix', async () => {
    const { h, provider, actor } = setup();
    provider.auto = () => ({ text: 'hi me' });
    accept(h, selfChat('note'), route(MAIN));
    await actor.idle();
    expect(h.of('reply.requested')[0]).toMatchObject({ selfChat: true, text: 'hi me' });
  });

  it('DM history is bounded by dms["<phone>"].historyLimit, else dmHistoryLimit', async () => {
    const { h, provider, actor } = setup({ dmHistoryLimit: 2, dms: { [ALICE]: { historyLimit: 1 } } }, { session: { scope: 'per-sender' } });
    provider.auto = (input) => ({ text: `r-${input.envelope.RawBody}` });
    for (const t of ['1', '2', '3']) accept(h, dm(ALICE, `a${t}`), route(`agent:main:whatsapp:dm:${ALICE}`));
    for (const t of ['1', '2', '3']) accept(h, dm(BOB, `b${t}`), route(`agent:main:whatsapp:dm:${BOB}`));
    await actor.idle();
    const seen: string[][] = [];
    provider.auto = (input) => {
      seen.push(input.history.map((e) => e.text));
      return { text: 'x' };
    };
    accept(h, dm(ALICE, 'a4'), route(`agent:main:whatsapp:dm:${ALICE}`));
    await actor.idle();
    accept(h, dm(BOB, 'b4'), route(`agent:main:whatsapp:dm:${BOB}`));
    await actor.idle();
    expect(seen).toEqual([
      ['a3', 'r-a3'],
      ['b2', 'r-b2', 'b3', 'r-b3'],
    ]);
  });

  it('session.idle: after a long silence the DM session starts afresh', async () => {
    const { h, provider, actor } = setup({}, { session: { idle: '30m' } });
    provider.auto = () => ({ text: 'r' });
    accept(h, dm(ALICE, 'old'), route(MAIN));
    await actor.idle();
    h.clock.now += 31 * 60_000;
    provider.auto = (input) => ({ text: `history ${input.history.length}` });
    accept(h, dm(ALICE, 'new'), route(MAIN));
    await actor.idle();
    expect(h.of('reply.requested').at(-1)?.text).toBe('history 0');
  });

  it('groups: injects gated history not yet in the session, and records it', async () => {
    const { h, provider, actor, store } = setup();
    const key = `agent:main:whatsapp:group:${GROUP}`;
    const earlier = gm(BOB, 'context one', { from: { jid: 'x@s.whatsapp.net', e164: BOB, lid: null, name: 'Bob' } });
    const already = gm(ALICE, 'already seen');
    await store.append(key, { role: 'user', text: 'already seen', at: 1, messageId: already.id });
    provider.auto = (input) => ({ text: input.envelope.Body });
    const current = gm(ALICE, '@bot what now?');
    accept(h, current, route(key, { wasMentioned: true, activation: 'mention', history: [already, earlier] }));
    await actor.idle();
    const body = h.of('reply.requested')[0]!.text;
    expect(body).toContain('[Chat messages since your last reply - for context]');
    expect(body).toContain('Bob (+15551230002): context one');
    expect(body).not.toContain('already seen');
    expect(body).toContain(`[Current message - respond to this]\n[WhatsApp ${GROUP} 2025-01-01 11:59 UTC] Someone (${ALICE}): @bot what now?`);
    expect((await store.read(key)).map((e) => e.messageId ?? e.role)).toEqual([already.id, earlier.id, current.id, 'assistant']);
  });

  it('groups: the subject from the group metadata names the chat', async () => {
    const { h, provider, actor } = setup();
    h.conn.groups[GROUP] = { jid: GROUP, subject: 'Team chat', participants: [] };
    provider.auto = (input) => ({ text: input.envelope.Body });
    accept(h, gm(ALICE, 'hi'), route(`agent:main:whatsapp:group:${GROUP}`));
    await actor.idle();
    expect(h.of('reply.requested')[0]!.text).toMatch(/^\[WhatsApp Team chat /);
    expect(actor.summary()).toMatchObject({ groups: { groups: 1, fetches: 1 } });
  });

  it('the default provider is the agent model (echo)', async () => {
    const h = harness();
    const runner = h.start(createAgentRunner(h.deps, { newRunId: () => 'r' }));
    const actor = h.start(startAgentDispatch(h.deps, runner, { timeZone: 'UTC' }));
    accept(h, dm(ALICE, 'hello there'), route(MAIN));
    await actor.idle();
    expect(h.of('reply.requested').map((r) => r.text)).toEqual(['echo: hello there']);
  });

  it('stop() detaches from the bus, aborts the run in flight and sends nothing', async () => {
    const { h, provider, actor } = setup();
    const before = h.bus.listenerCount();
    accept(h, dm(ALICE, 'hi'), route(MAIN));
    accept(h, dm(ALICE, 'queued'), route(MAIN));
    await until(() => provider.calls.length === 1);
    await actor.stop();
    expect(h.bus.listenerCount()).toBe(before - 2);
    expect(provider.calls).toHaveLength(1);
    expect(h.of('reply.requested')).toEqual([]);
    accept(h, dm(ALICE, 'after'), route(MAIN));
    await actor.idle();
    expect(provider.calls).toHaveLength(1);
  });

  it('gateway.stopping: new messages are not taken', async () => {
    const { h, provider, actor } = setup();
    h.bus.emit('gateway.stopping', { accountId: null, reason: 'test', at: 0 });
    accept(h, dm(ALICE, 'late'), route(MAIN));
    await actor.idle();
    expect(provider.calls).toHaveLength(0);
  });
});

describe('runAgent (control method "agent")', () => {
  const collect = () => {
    const events: AgentRunEvent[] = [];
    return { events, emit: (e: AgentRunEvent) => void events.push(e) };
  };

  it('answers accepted at once, streams status and deltas, ends with ok + summary', async () => {
    const { h, provider, runner, store, control } = setup();
    provider.auto = (input) => {
      input.onDelta?.('Hel');
      input.onDelta?.('lo');
      return { text: 'Hello' };
    };
    const { events, emit } = collect();
    expect(control({ message: 'hi there' }, emit)).toEqual({ runId: 'run-1', status: 'accepted' });
    expect(events).toEqual([]);
    await runner.idle();
    expect(events).toEqual([
      { runId: 'run-1', status: 'running' },
      { runId: 'run-1', delta: 'Hel' },
      { runId: 'run-1', delta: 'lo' },
      { runId: 'run-1', status: 'ok', summary: 'Hello' },
    ]);
    expect(h.of('reply.requested')).toEqual([]); // no `to`: not delivered
    expect(h.conn.presence).toEqual([]);
    expect((await store.read(MAIN)).map((e) => e.text)).toEqual(['hi there', 'Hello']);
  });

  it('with `to`, runs in that chat session and delivers the reply there', async () => {
    const { h, provider, runner, control } = setup({}, { session: { scope: 'per-sender' } });
    provider.auto = (input) => ({ text: `${input.sessionKey}` });
    const { events, emit } = collect();
    control({ message: 'remind', to: ALICE }, emit);
    await runner.idle();
    expect(h.of('reply.requested')).toEqual([
      { accountId: 'default', chatJid: '15551230001@s.whatsapp.net', text: `agent:main:whatsapp:dm:${ALICE}`, source: 'agent', requestId: 'run-1' },
    ]);
    expect(events.at(-1)).toMatchObject({ status: 'ok' });
  });

  it('a failing run ends with status error and the reason', async () => {
    const { h, provider, runner, control } = setup();
    provider.auto = () => new Error('HTTP 401 from http://x: bad key');
    const { events, emit } = collect();
    control({ message: 'x', to: ALICE }, emit);
    await runner.idle();
    expect(events.at(-1)).toEqual({ runId: 'run-1', status: 'error', summary: 'HTTP 401 from http://x: bad key' });
    expect(h.of('reply.requested')).toEqual([]);
  });

  it.each([
    [{ message: '' }, 'WAGATE_ERR_BAD_REQUEST'],
    [{ message: 'x', agentId: 'nope' }, 'WAGATE_ERR_BAD_REQUEST'],
    [{ message: 'x', to: 'not a number' }, 'WAGATE_ERR_BAD_REQUEST'],
    [{ message: 'x', accountId: 'ghost' }, 'WAGATE_ERR_UNKNOWN_ACCOUNT'],
  ])('rejects bad params at once: %j', (params, code) => {
    const { control } = setup();
    expect(() => control(params, () => undefined)).toThrow(expect.objectContaining({ code }));
  });
});

describe('sessions', () => {
  it('are kept in the store, readable by key (wagate sessions show)', async () => {
    const { h, provider, actor } = setup();
    provider.auto = () => ({ text: 'r' });
    accept(h, dm(ALICE, 'hi'), route(MAIN));
    await actor.idle();
    expect((await h.deps.store.sessions.list()).map((s) => [s.key, s.turns])).toEqual([[MAIN, 2]]);
    expect(fs.existsSync(`${h.deps.stateDir}/agents`)).toBe(false);
  });
});
