import { describe, expect, it } from 'vitest';
import { createAgentRunner, replyOutcome, type ModelUse, type RunRequest } from '../../src/agents/runner.js';
import type { AgentProvider, ProviderResult, ProviderRunInput } from '../../src/agents/providers/types.js';
import { ALICE, harness } from '../access/harness.js';

const MAIN = 'agent:main:main';

/** Each run waits until the test settles it; aborts reject. */
class HeldProvider implements AgentProvider {
  readonly name = 'command' as const;
  readonly calls: { input: ProviderRunInput; resolve: (r: ProviderResult) => void }[] = [];
  run(input: ProviderRunInput): Promise<ProviderResult> {
    return new Promise((resolve, reject) => {
      input.signal.addEventListener('abort', () => reject(new Error('aborted')));
      this.calls.push({ input, resolve });
    });
  }
}

const request = (over: Partial<RunRequest<ProviderResult>> = {}): RunRequest<ProviderResult> => ({
  runId: 'r',
  origin: 'control',
  accountId: 'default',
  agentId: 'main',
  sessionKey: MAIN,
  prepare: async (store) => ({ envelope: { Body: 'hi' }, history: await store.history(MAIN) }),
  finish: async (result) => ({ value: result }),
  ...over,
});

describe('agent runner', () => {
  it('makes one provider per agent and model use, on first use', async () => {
    const h = harness();
    const made: ModelUse[] = [];
    const runner = h.start(
      createAgentRunner(h.deps, {
        providerFor: (_agent, use) => (made.push(use), { name: 'echo', run: async () => ({ text: use }) }),
      }),
    );
    expect(await runner.run(request())).toEqual({ text: 'reply' });
    expect(await runner.run(request())).toEqual({ text: 'reply' });
    expect(await runner.run(request({ use: 'heartbeat' }))).toEqual({ text: 'heartbeat' });
    expect(made).toEqual(['reply', 'heartbeat']);
  });

  it("a caller's signal aborts its run in flight and fails its queued ones before the provider; others still run", async () => {
    const h = harness();
    const provider = new HeldProvider();
    const runner = h.start(createAgentRunner(h.deps, { providerFor: () => provider }));
    const caller = new AbortController();
    const first = runner.run(request({ runId: 'a', signal: caller.signal }));
    const queued = runner.run(request({ runId: 'b', signal: caller.signal }));
    const other = runner.run(request({ runId: 'c' }));
    await expect.poll(() => provider.calls.length).toBe(1);
    caller.abort();
    await expect(first).rejects.toThrow('aborted');
    await expect(queued).rejects.toThrow('gateway stopping');
    await expect.poll(() => provider.calls.length).toBe(2);
    provider.calls[1]!.resolve({ text: 'still here' });
    expect(await other).toEqual({ text: 'still here' });
    // a run stopped before its turn never started: it is not counted
    expect(runner.summary()).toMatchObject({ inFlight: 0, queued: 0, runs: { started: 2, ok: 1, failed: 1 }, lastRun: { runId: 'c', status: 'ok' } });
  });

  it('appends what finish gives and emits its reply with requestId = runId', async () => {
    const h = harness();
    const runner = h.start(createAgentRunner(h.deps, { providerFor: () => ({ name: 'echo', run: async () => ({ text: ' yes ' }) }) }));
    const chatJid = `${ALICE.slice(1)}@s.whatsapp.net`;
    await runner.run(request({ runId: 'run-9', finish: async (r) => replyOutcome(r, { accountId: 'default', chatJid }, 5) }));
    expect(h.of('reply.requested')).toEqual([{ accountId: 'default', chatJid, text: 'yes', source: 'agent', requestId: 'run-9' }]);
  });
  it("appends the turn's user entry with the answer, after the provider, and asks for the reply only once `committed` settled", async () => {
    const h = harness();
    const provider = new HeldProvider();
    const runner = h.start(createAgentRunner(h.deps, { providerFor: () => provider }));
    const chatJid = `${ALICE.slice(1)}@s.whatsapp.net`;
    let commit!: () => void;
    const committed = new Promise<void>((r) => (commit = r));
    const run = runner.run(
      request({
        runId: 'run-1',
        prepare: async (store) => ({ envelope: { Body: 'q' }, history: await store.history(MAIN), entries: [{ role: 'user', text: 'q', at: 1 }] }),
        finish: async (r) => ({ ...replyOutcome(r, { accountId: 'default', chatJid }, 2), committed }),
      }),
    );
    await expect.poll(() => provider.calls.length).toBe(1);
    provider.calls[0]!.resolve({ text: 'a' });
    await expect.poll(() => h.deps.store.sessions.turns(MAIN).then((t) => t.map((x) => `${x.role}:${x.text}`))).toEqual(['user:q', 'assistant:a']);
    expect(h.of('reply.requested')).toEqual([]); // the kept write has not committed yet
    commit();
    await run;
    expect(h.of('reply.requested')).toHaveLength(1);
  });

  it("a run whose provider fails still leaves the turn's user entry in the session", async () => {
    const h = harness();
    const runner = h.start(
      createAgentRunner(h.deps, {
        providerFor: () => ({
          name: 'command',
          run: async () => {
            throw new Error('provider down');
          },
        }),
      }),
    );
    const run = runner.run(
      request({ prepare: async () => ({ envelope: { Body: 'q' }, history: [], entries: [{ role: 'user', text: 'q', at: 1 }] }) }),
    );
    await expect(run).rejects.toThrow('provider down');
    expect((await h.deps.store.sessions.turns(MAIN)).map((x) => `${x.role}:${x.text}`)).toEqual(['user:q']);
  });

  it('stop does not wait for a provider that ignores its abort and never answers', async () => {
    const h = harness();
    let asked = 0;
    const deaf: AgentProvider = { name: 'command', run: () => (asked++, new Promise<ProviderResult>(() => undefined)) };
    const runner = createAgentRunner(h.deps, { providerFor: () => deaf });
    const run = runner.run(request());
    await expect.poll(() => asked).toBe(1);
    expect(runner.busy()).toBe(true);
    await runner.stop();
    await expect(run).rejects.toThrow('aborted');
    expect(runner.busy()).toBe(false);
  });
});
