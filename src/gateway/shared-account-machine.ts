/**
 * One account machine for every account (issue 12: memory per account).
 *
 * A machine definition is big (state nodes, transitions, actions, each with its own
 * closures), and `createAccountMachine(...).provide(...)` per account made two of
 * them per account. Here the machine with the real connection actor is made once
 * per pair of clock functions (`now`, `random`: in production `Date.now` and
 * `Math.random`, so once per process) and shared. The connection actor it invokes
 * finds its own account's connection code through the actor system it runs in:
 * each account's actor has its own system, registered by `bindConnection` before
 * the actor starts.
 */
import { fromCallback, type AnyActorRef } from 'xstate';
import { createAccountMachine, type AccountMachine, type ConnectionActorEvent, type ConnectionInput } from '../../machines/index.js';
import { WagateError } from '../errors.js';
import type { ConnectionCallback } from './connection-actor.js';

/** An actor system (xstate does not export its type by name). */
type ActorSystem = AnyActorRef['system'];

const connections = new WeakMap<ActorSystem, ConnectionCallback>();

const sharedConnection = fromCallback<ConnectionActorEvent, ConnectionInput>((args) => {
  const run = connections.get(args.system);
  if (!run) throw new WagateError('WAGATE_ERR_INTERNAL', 'an account machine started a connection before its connection code was bound.');
  return run(args);
});

const machines = new WeakMap<() => number, WeakMap<() => number, AccountMachine>>();

/** The account machine with the shared connection actor, for these clock functions. */
export function sharedAccountMachine(now: () => number, random: () => number): AccountMachine {
  let byRandom = machines.get(now);
  if (!byRandom) machines.set(now, (byRandom = new WeakMap()));
  let machine = byRandom.get(random);
  if (!machine) byRandom.set(random, (machine = createAccountMachine({ now, random }).provide({ actors: { connection: sharedConnection } })));
  return machine;
}

/** The connection code of the account whose actor runs in `system` (before the actor starts). */
export function bindConnection(system: ActorSystem, run: ConnectionCallback): void {
  connections.set(system, run);
}
