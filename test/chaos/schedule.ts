/**
 * The chaos test's seeded schedule: a small PRNG (mulberry32) and the generator of
 * steps — contacts writing, and faults applied to the gateway, the agent and the
 * connection. The same seed always gives the same schedule (what runs in real time
 * around it — Baileys, the child process — is not seeded, so a failure reproduces
 * as the same schedule, usually with the same outcome).
 */

export { prng } from '../helpers/prng.js';
import { prng } from '../helpers/prng.js';

export type DropCode = 428 | 500 | 515;

export type Step =
  /** Contact `contact` writes its next message (numbered per contact); `pauseMs` of quiet before it. */
  | { kind: 'send'; contact: number; pauseMs: number }
  /** SIGKILL the gateway now. */
  | { kind: 'kill' }
  /** SIGKILL the gateway as soon as the agent gets its next request (the run is in flight). */
  | { kind: 'kill-in-agent' }
  /** SIGKILL the gateway as soon as a contact receives its next reply (a send in flight). */
  | { kind: 'kill-in-send' }
  /** SIGTERM the gateway (orderly stop). */
  | { kind: 'term' }
  /** Start the gateway again after `downtimeMs` (clocks shifted, not slept). */
  | { kind: 'restart'; downtimeMs: number }
  /** The simulator breaks the connection: 428 (socket closed), 500 (bad session), 515 (restart required). */
  | { kind: 'drop'; code: DropCode }
  /** The agent's next `count` answers take `ms` each. */
  | { kind: 'slow-agent'; ms: number; count: number }
  /** The agent's next request fails (HTTP 500), once. */
  | { kind: 'agent-crash' }
  // Cluster mode only (generateClusterSchedule; single-node schedules never hold these):
  /** SIGKILL the node that holds account `account`'s lease (looked up when the step runs). */
  | { kind: 'node-kill'; account: number }
  /** SIGTERM the node that holds account `account`'s lease (it hands its accounts over). */
  | { kind: 'node-term'; account: number }
  /** Start the first stopped node again, `downtimeMs` (real time) after the step is reached. */
  | { kind: 'node-start'; downtimeMs: number }
  /** The simulator breaks account `account`'s connection (428, 500, 515). */
  | { kind: 'account-drop'; account: number; code: DropCode };

export const FAULT_KINDS = ['kill', 'kill-in-agent', 'kill-in-send', 'term', 'drop', 'slow-agent', 'agent-crash'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ScheduleOptions {
  /** Steps to generate (sends and faults). */
  steps: number;
  /** Approved contacts (replied to by the agent). */
  contacts: number;
  /** Unknown senders (answered with a pairing code, once). */
  strangers: number;
  /** The fault kinds to draw from (default: all); `[]` makes a schedule of sends only. */
  faults?: readonly FaultKind[];
}

export const DEFAULT_SCHEDULE: ScheduleOptions = { steps: 24, contacts: 3, strangers: 1 };

/** Contacts 0..contacts-1 are approved, the following `strangers` ones are unknown. */
export function generateSchedule(seed: number, opts: ScheduleOptions = DEFAULT_SCHEDULE): Step[] {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const steps: Step[] = [];
  let up = true;
  /** Sends still owed before the armed kill can fire (kill-in-agent / kill-in-send need traffic). */
  let armed = false;
  const send = (approved = false): Step => {
    const stranger = !approved && opts.strangers > 0 && r() < 0.12;
    const contact = stranger ? opts.contacts + Math.floor(r() * opts.strangers) : Math.floor(r() * opts.contacts);
    return { kind: 'send', contact, pauseMs: Math.floor(r() * 400) };
  };
  while (steps.length < opts.steps) {
    if (!up) {
      // Down: maybe a few messages written meanwhile, then the restart.
      const n = Math.floor(r() * 3);
      for (let i = 0; i < n; i++) steps.push(send());
      steps.push({ kind: 'restart', downtimeMs: Math.floor(r() * 10_001) });
      up = true;
      continue;
    }
    const kinds = opts.faults ?? FAULT_KINDS;
    if (armed || kinds.length === 0 || r() < 0.65) {
      steps.push(send(armed));
      if (armed) {
        // The armed kill fires on this send's run or reply: the gateway is down after it.
        armed = false;
        up = false;
      }
      continue;
    }
    const fault = pick(kinds);
    switch (fault) {
      case 'kill':
      case 'term':
        steps.push({ kind: fault });
        up = false;
        break;
      case 'kill-in-agent':
      case 'kill-in-send':
        steps.push({ kind: fault });
        armed = true;
        break;
      case 'drop':
        steps.push({ kind: 'drop', code: pick([428, 500, 515] as const) });
        break;
      case 'slow-agent':
        steps.push({ kind: 'slow-agent', ms: 500 + Math.floor(r() * 4500), count: 1 + Math.floor(r() * 3) });
        break;
      case 'agent-crash':
        steps.push({ kind: 'agent-crash' });
        break;
    }
  }
  if (armed) steps.push({ kind: 'send', contact: 0, pauseMs: 0 });
  if (!up || armed) steps.push({ kind: 'restart', downtimeMs: Math.floor(r() * 10_001) });
  return steps;
}

export function formatStep(s: Step): string {
  switch (s.kind) {
    case 'send':
      return `send contact#${s.contact} (after ${s.pauseMs} ms)`;
    case 'restart':
      return `restart after ${s.downtimeMs} ms down`;
    case 'drop':
      return `drop ${s.code}`;
    case 'slow-agent':
      return `slow agent ${s.ms} ms × ${s.count}`;
    case 'node-kill':
      return `SIGKILL the owner of account#${s.account}`;
    case 'node-term':
      return `SIGTERM the owner of account#${s.account}`;
    case 'node-start':
      return `start a stopped node after ${s.downtimeMs} ms`;
    case 'account-drop':
      return `drop ${s.code} on account#${s.account}`;
    default:
      return s.kind;
  }
}

export interface ClusterScheduleOptions extends ScheduleOptions {
  /** Gateway nodes (child processes) on one PostgreSQL. */
  nodes: number;
  /** Linked accounts; contact `c` writes to account `c % accounts` (a stranger `u` to `u % accounts`). */
  accounts: number;
}

export const DEFAULT_CLUSTER_SCHEDULE: ClusterScheduleOptions = { steps: 24, contacts: 3, strangers: 1, nodes: 3, accounts: 3 };

/**
 * A cluster schedule (`npm run chaos -- --nodes N`): sends and faults as in
 * `generateSchedule`, with node-level faults — `kill` and `term` stop the node owning an
 * account (SIGKILL / SIGTERM), and the armed kills stop whichever node runs the message
 * or sends the reply; `drop` breaks one account's connection. At least one node stays up;
 * a stopped node is started again later (`node-start`). A separate generator (its own
 * draws), so single-node seeds keep their schedules.
 */
export function generateClusterSchedule(seed: number, opts: ClusterScheduleOptions = DEFAULT_CLUSTER_SCHEDULE): Step[] {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const steps: Step[] = [];
  let up = opts.nodes;
  let armed = false;
  const send = (approved = false): Step => {
    const stranger = !approved && opts.strangers > 0 && r() < 0.12;
    const contact = stranger ? opts.contacts + Math.floor(r() * opts.strangers) : Math.floor(r() * opts.contacts);
    return { kind: 'send', contact, pauseMs: Math.floor(r() * 400) };
  };
  const start = (): Step => ({ kind: 'node-start', downtimeMs: Math.floor(r() * 4001) });
  while (steps.length < opts.steps) {
    const kinds = opts.faults ?? FAULT_KINDS;
    if (armed || kinds.length === 0 || r() < 0.65) {
      steps.push(send(armed));
      if (armed) {
        armed = false;
        up -= 1;
      }
      continue;
    }
    // A stopped node comes back with some chance at each fault draw (always when it is the last one up).
    if (up < opts.nodes && (up === 1 || r() < 0.4)) {
      steps.push(start());
      up += 1;
      continue;
    }
    const fault = pick(kinds);
    const account = Math.floor(r() * opts.accounts);
    switch (fault) {
      case 'kill':
      case 'term':
        steps.push({ kind: fault === 'kill' ? 'node-kill' : 'node-term', account });
        up -= 1;
        break;
      case 'kill-in-agent':
      case 'kill-in-send':
        steps.push({ kind: fault });
        armed = true;
        break;
      case 'drop':
        steps.push({ kind: 'account-drop', account, code: pick([428, 500, 515] as const) });
        break;
      case 'slow-agent':
        steps.push({ kind: 'slow-agent', ms: 500 + Math.floor(r() * 4500), count: 1 + Math.floor(r() * 3) });
        break;
      case 'agent-crash':
        steps.push({ kind: 'agent-crash' });
        break;
    }
  }
  if (armed) {
    steps.push({ kind: 'send', contact: 0, pauseMs: 0 });
    up -= 1;
  }
  while (up < opts.nodes) {
    steps.push(start());
    up += 1;
  }
  return steps;
}
