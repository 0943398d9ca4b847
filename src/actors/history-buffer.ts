/**
 * The history buffer actor (SPEC §5 "History injection"): keeps `message.gated`
 * group messages per group (`historyLimit` per account, 0 = off; at most 200
 * groups, least recently used evicted) and forgets what was handed out once a
 * reply reaches the group (`reply.delivered`).
 *
 * The access policy reads the same `GroupHistory` when it accepts a group message
 * (into `route.history`): pass one instance to both —
 *   const history = new GroupHistory();
 *   startHistoryBuffer(deps, history); startAccessPolicy(deps, { history });
 * (`startAccessPolicy(deps)` alone keeps its own buffer and needs no history-buffer actor.)
 */
import { DEFAULT_HISTORY_LIMIT } from '../config/index.js';
import type { RunningActor } from '../gateway/actor-registry.js';
import { attachGroupHistory, GroupHistory } from '../access/group-history.js';
import type { ActorDeps } from './deps.js';

export interface HistoryBufferActor extends RunningActor {
  readonly history: GroupHistory;
}

export function startHistoryBuffer(deps: ActorDeps, history: GroupHistory = new GroupHistory()): HistoryBufferActor {
  const detach = attachGroupHistory(
    deps.bus,
    history,
    (accountId) => deps.accounts.get(accountId)?.historyLimit ?? DEFAULT_HISTORY_LIMIT,
  );
  return {
    name: 'history-buffer',
    history,
    summary: () => history.summary(),
    stop: detach,
  };
}
