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

  /** Stop every actor, newest first; one failing stop does not keep the others running. */
  async stopAll(): Promise<void> {
    const list = [...this.actors.values()].reverse();
    this.actors.clear();
    const results = await Promise.allSettled(list.map(async (a) => a.stop()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
