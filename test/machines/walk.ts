/**
 * A small path generator for the account machine (no @xstate/graph here): steps are
 * user-level actions — an event, or simulated time passing — replayed on a fresh
 * actor each time, and a breadth-first search over abstract states.
 */
import type { AccountStateValue } from '../../machines/index.js';
import { CREDS_ERROR, IDENTITY, startAccount, type Harness, type HarnessOptions } from './harness.js';

export interface Step {
  name: string;
  /** Apply to the harness; false when the step makes no sense here (skipped). */
  run(h: Harness): boolean;
}

const send =
  (name: string, event: Parameters<Harness['send']>[0]): Step => ({
    name,
    run: (h) => {
      h.send(event);
      return true;
    },
  });

const close = (code: number): Step => send(`CLOSE ${code}`, { type: 'CLOSE', code, reason: 'walk' });

/** The step alphabet: every event, the interesting close codes and kinds, and both timers. */
export const STEPS: Step[] = [
  {
    name: 'START',
    run: (h) => {
      h.send({ type: 'START', linked: h.hasCreds });
      return true;
    },
  },
  send('START (creds unreadable)', { type: 'START', error: CREDS_ERROR }),
  send('LOGIN', { type: 'LOGIN' }),
  send('QR', { type: 'QR', qr: 'ref' }),
  send('OPEN', { type: 'OPEN', identity: IDENTITY }),
  close(0),
  close(515),
  close(401),
  close(440),
  close(405),
  close(408),
  close(500),
  send('CLOSE failed', { type: 'CLOSE', code: null, reason: 'walk', error: CREDS_ERROR }),
  send('CLOSE stalled', { type: 'CLOSE', code: null, reason: 'walk', stalled: true }),
  send('RECONNECT', { type: 'RECONNECT' }),
  send('LOGOUT', { type: 'LOGOUT' }),
  send('STOP', { type: 'STOP' }),
  {
    name: 'retry timer fires',
    run: (h) => {
      const at = h.ctx().nextRetryAt;
      if (at === null) return false;
      h.advance(at - h.now());
      return true;
    },
  },
  {
    name: 'connection stays up',
    run: (h) => {
      if (h.value() !== 'connected') return false;
      h.advance(h.ctx().heartbeatSeconds * 1000);
      return true;
    },
  },
];

export interface Root {
  name: string;
  options: HarnessOptions;
}

export interface WalkResult {
  /** Shortest path (root name, then step names) to each state value reached. */
  shortest: Map<AccountStateValue, string[]>;
  /** Number of abstract nodes visited. */
  nodes: number;
}

/** The part of a snapshot that matters for what can happen next. */
function abstractKey(h: Harness): string {
  const c = h.ctx();
  return JSON.stringify([h.value(), c.linked, c.attempt, c.error?.code ?? null]);
}

/** Replay `steps` on a fresh actor; null when some step was not applicable. */
export function replay(root: Root, steps: Step[], extra: HarnessOptions = {}): Harness | null {
  const h = startAccount({ ...root.options, ...extra, start: false });
  for (const step of steps) {
    if (!step.run(h)) {
      h.actor.stop();
      return null;
    }
  }
  return h;
}

/**
 * Breadth-first search from each root up to `maxDepth` steps. `extra` goes to every
 * replayed actor (an `inspect` there sees every transition the walk takes).
 */
export function walk(roots: Root[], maxDepth: number, extra: HarnessOptions = {}): WalkResult {
  const shortest = new Map<AccountStateValue, string[]>();
  const seen = new Set<string>();
  let frontier: Array<{ root: Root; path: Step[] }> = [];
  for (const root of roots) {
    const h = replay(root, [], extra);
    if (!h) continue;
    const key = `${root.name}|${abstractKey(h)}`;
    if (!shortest.has(h.value())) shortest.set(h.value(), [root.name]);
    seen.add(key);
    h.actor.stop();
    frontier.push({ root, path: [] });
  }
  for (let depth = 0; depth < maxDepth && frontier.length > 0; depth++) {
    const next: typeof frontier = [];
    for (const { root, path } of frontier) {
      for (const step of STEPS) {
        const h = replay(root, [...path, step], extra);
        if (!h) continue;
        const value = h.value();
        const key = `${root.name}|${abstractKey(h)}`;
        h.actor.stop();
        if (!shortest.has(value)) shortest.set(value, [root.name, ...path.map((s) => s.name), step.name]);
        if (seen.has(key) || value === 'stopped') continue;
        seen.add(key);
        next.push({ root, path: [...path, step] });
      }
    }
    frontier = next;
  }
  return { shortest, nodes: seen.size };
}
