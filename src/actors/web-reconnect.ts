/**
 * The reconnect log (SPEC §3, §13): each account state change that is part of a
 * reconnect is written under the `web-reconnect` subsystem — a lost connection
 * and the delay before the next attempt (`backing-off`), each new attempt
 * (`connecting` after a back-off or a restart), the connection back
 * (`connected` after one), and giving up (`degraded`, `logged-out`) with why.
 * Reads `account.state.changed`; emits nothing.
 */
import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.js';
import type { BusEvents } from '../bus/events.js';
import type { RunningActor } from './actor.js';
import { subLogger } from '../log.js';

export interface WebReconnectDeps {
  bus: Bus;
  logger: Logger;
}

type Change = BusEvents['account.state.changed'];

/** The line to write for a state change, or null when it is no part of a reconnect. */
export function reconnectLine(ev: Change): { level: 'info' | 'warn' | 'error'; fields: Record<string, unknown>; msg: string } | null {
  const close = ev.lastClose ? { closeCode: ev.lastClose.code, closeReason: ev.lastClose.reason } : {};
  switch (ev.to) {
    case 'backing-off': {
      const delayMs = ev.nextRetryAt === null ? null : Math.max(0, ev.nextRetryAt - ev.at);
      const when = delayMs === null ? '' : ` in ${(delayMs / 1000).toFixed(1)} s`;
      return { level: 'warn', fields: { attempt: ev.attempt, delayMs, nextRetryAt: ev.nextRetryAt, ...close }, msg: `connection lost; reconnect attempt ${ev.attempt}${when}` };
    }
    case 'connecting':
      if (ev.from !== 'backing-off' && ev.from !== 'connected') return null;
      return { level: 'info', fields: { attempt: ev.attempt, from: ev.from, ...close }, msg: `reconnecting (attempt ${ev.attempt})` };
    case 'connected':
      if (ev.from !== 'connecting' || ev.attempt === 0) return null;
      return { level: 'info', fields: { attempt: ev.attempt }, msg: `reconnected after ${ev.attempt} attempt(s)` };
    case 'degraded':
    case 'logged-out':
      if (ev.from === null) return null;
      return { level: 'error', fields: { attempt: ev.attempt, error: ev.error, ...close }, msg: `no more reconnects: ${ev.to}${ev.error ? ` (${ev.error.message})` : ''}` };
    default:
      return null;
  }
}

export function startWebReconnect(deps: WebReconnectDeps): RunningActor {
  let lines = 0;
  const off = deps.bus.on('account.state.changed', (ev) => {
    const line = reconnectLine(ev);
    if (!line) return;
    lines += 1;
    subLogger(deps.logger, 'web-reconnect', ev.accountId)[line.level](line.fields, line.msg);
  });
  return {
    name: 'web-reconnect',
    summary: () => ({ lines }),
    stop: off,
  };
}
