/**
 * The gateway heartbeat (SPEC §3): every `web.heartbeatSeconds`, each connected
 * account logs `web-heartbeat` with uptime, attempts, messages handled, last
 * message time and auth age, and emits `account.heartbeat` on the bus.
 */
import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.js';
import type { RunningActor } from './actor.js';
import { subLogger } from '../log.js';
import { setLongInterval } from '../timers.js';

/** What the heartbeat reads of an account (AccountRuntime satisfies it). */
export interface HeartbeatSource {
  readonly accountId: string;
  readonly state: string;
  readonly context: { attempt: number; connectedSince: number | null };
  lastActivity(): number | null;
}

export interface WebHeartbeatDeps {
  bus: Bus;
  accounts: ReadonlyMap<string, HeartbeatSource>;
  logger: Logger;
  intervalMs: number;
  now?: () => number;
}

export function startWebHeartbeat(deps: WebHeartbeatDeps): RunningActor {
  const now = deps.now ?? Date.now;
  const handled = new Map<string, { count: number; lastAt: number | null }>();
  let beats = 0;

  const beat = () => {
    beats += 1;
    const at = now();
    for (const acc of deps.accounts.values()) {
      if (acc.state !== 'connected') continue;
      const stats = handled.get(acc.accountId) ?? { count: 0, lastAt: null };
      const since = acc.context.connectedSince;
      const payload = {
        accountId: acc.accountId,
        uptimeMs: since === null ? 0 : at - since,
        attempt: acc.context.attempt,
        messagesHandled: stats.count,
        lastMessageAt: stats.lastAt,
        at,
      };
      subLogger(deps.logger, 'web-heartbeat', acc.accountId).info(
        { uptimeMs: payload.uptimeMs, attempt: payload.attempt, messagesHandled: stats.count, lastMessageAt: stats.lastAt, lastFrameAt: acc.lastActivity() },
        'web-heartbeat',
      );
      deps.bus.emit('account.heartbeat', payload);
    }
  };
  const offReceived = deps.bus.on('message.received', ({ accountId }) => {
    const stats = handled.get(accountId) ?? { count: 0, lastAt: null };
    stats.count += 1;
    stats.lastAt = now();
    handled.set(accountId, stats);
  });
  const timer = setLongInterval(beat, deps.intervalMs);

  return {
    name: 'web-heartbeat',
    summary: () => ({ intervalMs: deps.intervalMs, beats }),
    stop: () => {
      timer.clear();
      offReceived();
    },
  };
}
