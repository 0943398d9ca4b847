import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startAgentDispatch } from '../../src/actors/agent-dispatch.js';
import { startAgentHeartbeat, type AgentHeartbeatActor } from '../../src/actors/agent-heartbeat.js';
import { isHeartbeatOk } from '../../src/agents/heartbeat.js';
import type { AgentProvider, ProviderResult, ProviderRunInput } from '../../src/agents/providers/types.js';
import { createAgentRunner, type AgentRunner } from '../../src/agents/runner.js';
import { SessionStore } from '../../src/agents/session-store.js';
import { HEARTBEAT_PROMPT } from '../../src/config/index.js';
import { ALICE, dm, harness, type Harness } from '../access/harness.js';
import { until } from '../helpers/until.js';

const MIN = 60_000;
const MAIN = 'agent:main:main';

class FakeProvider implements AgentProvider {
  readonly name = 'command' as const;
  readonly inputs: ProviderRunInput[] = [];
  reply: ProviderResult | Error = { text: 'HEARTBEAT_OK' };
  async run(input: ProviderRunInput): Promise<ProviderResult> {
    this.inputs.push(input);
    if (this.reply instanceof Error) throw this.reply;
    return this.reply;
  }
}

let actors: (AgentHeartbeatActor | AgentRunner)[] = [];
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(async () => {
  for (const a of actors) await a.stop();
  actors = [];
  vi.useRealTimers();
});

function setup(heartbeat: Record<string, unknown>, list?: unknown[]) {
  const h = harness({}, { agents: { defaults: { heartbeat }, ...(list ? { list } : {}) } });
  const provider = new FakeProvider();
  let n = 0;
  const runner = createAgentRunner(h.deps, { providerFor: () => provider, newRunId: () => `hb-${++n}` });
  const actor = startAgentHeartbeat(h.deps, runner);
  actors.push(actor, runner);
  return { h, provider, actor };
}

/** Let the timer fire, then wait for the run (its session I/O is real). */
async function tick(actor: AgentHeartbeatActor, ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  await actor.idle();
}

const accept = (h: Harness, msg = dm(ALICE, 'hi')) =>
  h.bus.emit('message.accepted', { accountId: 'default', message: msg, route: { agentId: 'main', sessionKey: MAIN, wasMentioned: false, activation: null } });

describe('isHeartbeatOk', () => {
  it.each([
    ['HEARTBEAT_OK', true],
    ['  HEARTBEAT_OK.\n', true],
    ['**HEARTBEAT_OK**', true],
    ['"heartbeat_ok"!', true],
    ['', true],
    ['HEARTBEAT_OK — but also, call mom', false],
    ['Reminder: dentist at 3', false],
    ['HEARTBEATOK?', true],
  ])('%j → %s', (text, ok) => {
    expect(isHeartbeatOk(text)).toBe(ok);
  });
});

describe('agent heartbeat', () => {
  it('every "30d" waits 30 days: not at 1 ms (Node fires timers over 2^31−1 ms at once), then once', async () => {
    const { provider, actor } = setup({ every: '30d' });
    await tick(actor, 1);
    await tick(actor, 1000);
    expect(provider.inputs).toHaveLength(0);
    await tick(actor, 30 * 24 * 60 * MIN - 1002);
    expect(provider.inputs).toHaveLength(0);
    await tick(actor, 1);
    expect(provider.inputs).toHaveLength(1);
    await tick(actor, 29 * 24 * 60 * MIN);
    expect(provider.inputs).toHaveLength(1);
  });

  it('runs every `every` with the default prompt in the main session; HEARTBEAT_OK is not delivered', async () => {
    const { h, provider, actor } = setup({ every: '30m' });
    await tick(actor, 29 * MIN);
    expect(provider.inputs).toHaveLength(0);
    await tick(actor, MIN);
    expect(provider.inputs).toHaveLength(1);
    expect(provider.inputs[0]).toMatchObject({ agentId: 'main', sessionKey: MAIN, envelope: { Body: HEARTBEAT_PROMPT } });
    expect(h.of('reply.requested')).toEqual([]);
    expect(actor.summary()).toMatchObject({ agents: [{ agentId: 'main', every: '30m', runs: 1, lastRun: { runId: 'hb-1', outcome: 'ok' } }] });
    await tick(actor, 30 * MIN);
    expect(provider.inputs).toHaveLength(2);
  });

  it('other text goes to the last chat the agent answered, as reply.requested source heartbeat', async () => {
    const { h, provider, actor } = setup({ every: '10m' });
    const msg = dm(ALICE, 'hi');
    accept(h, msg);
    provider.reply = { text: ' Stand-up in 5 minutes. ' };
    await tick(actor, 10 * MIN);
    expect(h.of('reply.requested')).toEqual([
      { accountId: 'default', chatJid: msg.chatJid, text: 'Stand-up in 5 minutes.', source: 'heartbeat', requestId: 'hb-1' },
    ]);
    const entries = await new SessionStore(h.deps.store.sessions).read(MAIN);
    expect(entries.map((e) => [e.role, e.text])).toEqual([
      ['user', HEARTBEAT_PROMPT],
      ['assistant', 'Stand-up in 5 minutes.'],
    ]);
    expect(actor.summary()).toMatchObject({ agents: [{ lastRun: { outcome: 'delivered', chatJid: msg.chatJid }, lastChat: msg.chatJid }] });
  });

  it('target last without any chat yet delivers nothing; after a restart the session remembers the chat', async () => {
    const { h, provider, actor } = setup({ every: '10m' });
    provider.reply = { text: 'news' };
    await tick(actor, 10 * MIN);
    expect(h.of('reply.requested')).toEqual([]);
    expect(actor.summary()).toMatchObject({ agents: [{ lastRun: { outcome: 'no-target' } }] });

    // What an earlier run of the gateway left in the store; this gateway restarts (a new
    // runner reads its sessions from the store, not from the first one's memory).
    await new SessionStore(h.deps.store.sessions).append(MAIN, {
      role: 'assistant',
      text: 'earlier',
      at: 1,
      chatJid: '15551230009@s.whatsapp.net',
    });
    await actor.stop();
    const runner = createAgentRunner(h.deps, { providerFor: () => provider, newRunId: () => 'hb-restarted' });
    const restarted = startAgentHeartbeat(h.deps, runner);
    actors.push(restarted, runner);
    await tick(restarted, 10 * MIN);
    expect(h.of('reply.requested').map((r) => r.chatJid)).toEqual(['15551230009@s.whatsapp.net']);
  });

  it('target whatsapp sends to `to`; the agent entry overrides the defaults (every, session, prompt, target)', async () => {
    const { h, provider, actor } = setup({ every: '30m' }, [
      { id: 'main', heartbeat: { every: '1h', target: 'whatsapp', to: '+15559990000', session: 'agent:main:hb', prompt: 'Check the oven.' } },
    ]);
    accept(h);
    provider.reply = { text: 'The oven is on!' };
    await tick(actor, 30 * MIN);
    expect(provider.inputs).toHaveLength(0);
    await tick(actor, 30 * MIN);
    expect(provider.inputs[0]).toMatchObject({ sessionKey: 'agent:main:hb', envelope: { Body: 'Check the oven.' } });
    expect(h.of('reply.requested')).toMatchObject([{ chatJid: '15559990000@s.whatsapp.net', text: 'The oven is on!', source: 'heartbeat' }]);
  });

  it('target none never delivers; a provider error is recorded and the timer keeps going', async () => {
    const { h, provider, actor } = setup({ every: '5m', target: 'none' });
    accept(h);
    provider.reply = { text: 'something' };
    await tick(actor, 5 * MIN);
    expect(actor.summary()).toMatchObject({ agents: [{ lastRun: { outcome: 'no-target' } }] });
    provider.reply = new Error('model down');
    await tick(actor, 5 * MIN);
    expect(actor.summary()).toMatchObject({ agents: [{ runs: 2, lastRun: { outcome: 'error', error: 'model down' } }] });
    await tick(actor, 5 * MIN);
    expect(provider.inputs).toHaveLength(3);
    expect(h.of('reply.requested')).toEqual([]);
  });

  it('no `every`: no timer; summary shows the next run; stop clears the timer', async () => {
    const none = setup({});
    expect(none.actor.summary()).toEqual({ agents: [] });
    await expect(none.actor.runNow('main')).rejects.toThrow('no heartbeat.every');

    const { h, provider, actor } = setup({ every: '2m' });
    expect(actor.summary()).toMatchObject({ agents: [{ nextRunAt: h.clock.now + 2 * MIN }] });
    await actor.stop();
    expect(actor.summary()).toMatchObject({ agents: [{ nextRunAt: null }] });
    await tick(actor, 10 * MIN);
    expect(provider.inputs).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a run never overlaps the previous one', async () => {
    const { provider, actor } = setup({ every: '1h' });
    let release: (r: ProviderResult) => void = () => undefined;
    provider.run = (input) => {
      provider.inputs.push(input);
      return new Promise((r) => (release = r));
    };
    const first = actor.runNow('main');
    await until(() => provider.inputs.length === 1, 'the first run');
    expect((await actor.runNow('main')).outcome).toBe('busy');
    release({ text: 'HEARTBEAT_OK' });
    expect((await first).outcome).toBe('ok');
    expect(provider.inputs).toHaveLength(1);
  });

  it('takes its turn in the session queue of the runner shared with agent dispatch: never interleaves with a message run', async () => {
    vi.useRealTimers();
    const h = harness({ dmPolicy: 'open', allowFrom: ['*'] }, { agents: { defaults: { heartbeat: { every: '1h', target: 'last' } } } });
    let releaseDm: (r: ProviderResult) => void = () => undefined;
    const dmInputs: ProviderRunInput[] = [];
    const dmProvider: AgentProvider = {
      name: 'command',
      run: (input) => {
        dmInputs.push(input);
        return new Promise((r) => (releaseDm = r));
      },
    };
    const hb = new FakeProvider();
    hb.reply = { text: 'Reminder: stretch' };
    const runner = createAgentRunner(h.deps, { providerFor: (_agent, use) => (use === 'heartbeat' ? hb : dmProvider) });
    const dispatch = startAgentDispatch(h.deps, runner, { timeZone: 'UTC' });
    const actor = startAgentHeartbeat(h.deps, runner);
    actors.push(actor, runner);
    try {
      accept(h, dm(ALICE, 'question'));
      await until(() => dmInputs.length === 1, "the message's run");
      const beat = actor.runNow('main');
      await until(() => runner.summary().queued === 1, "the heartbeat queued behind the message's run");
      expect(runner.summary().sessionsBusy).toEqual([MAIN]);
      expect(hb.inputs).toHaveLength(0); // waits for the message's run
      releaseDm({ text: 'answer' });
      expect((await beat).outcome).toBe('delivered');
      expect(hb.inputs[0]!.history.map((e) => e.text)).toEqual(['question', 'answer']);
      const entries = await new SessionStore(h.deps.store.sessions).read(MAIN);
      expect(entries.map((e) => e.text)).toEqual(['question', 'answer', HEARTBEAT_PROMPT, 'Reminder: stretch']);
    } finally {
      await dispatch.stop();
    }
  });
});
