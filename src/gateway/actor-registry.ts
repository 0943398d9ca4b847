/**
 * The actor registry: every small actor (src/actors/) the supervisor started,
 * by name, so shutdown can stop them all and `debug dump` can ask each for a
 * summary of its state.
 */
import type { RunningActor } from '../actors/actor.js';

export class ActorRegistry {
  private readonly actors = new Map<string, RunningActor>();

  add(actor: RunningActor): RunningActor {
    if (this.actors.has(actor.name)) throw new Error(`actor ${actor.name} started twice`);
    this.actors.set(actor.name, actor);
    return actor;
  }

  get(name: string): RunningActor | undefined {
    return this.actors.get(name);
  }

  names(): string[] {
    return [...this.actors.keys()];
  }

  summaries(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, actor] of this.actors) out[name] = actor.summary();
    return out;
  }

  /**
   * Wait until no actor is busy (an agent run's reply is taken by reply delivery
   * before the run counts as finished, so one pass may make another busy: loop).
   * Never settles by itself while work hangs: the caller bounds it, and `signal`
   * ends the loop once the bound is reached.
   */
  async drain(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const busy = [...this.actors.values()].filter((a) => a.busy?.() && a.idle);
      if (busy.length === 0) return;
      await Promise.all(busy.map((a) => a.idle!().catch(() => undefined)));
      await new Promise((resolve) => setImmediate(resolve)); // an actor idle but still busy must not starve the timers
    }
  }

  /** Stop every actor, newest first; one failing stop does not keep the others running. */
  async stopAll(): Promise<void> {
    const list = [...this.actors.values()].reverse();
    this.actors.clear();
    const results = await Promise.allSettled(list.map(async (a) => a.stop()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
