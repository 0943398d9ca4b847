/**
 * The typed bus: a thin wrapper over mitt (the only place that imports it).
 *
 * Handlers are isolated: a handler that throws, or whose returned promise
 * rejects, is logged with the event name and never stops the other handlers
 * nor the emitter.
 */
import mittImport from 'mitt';
import type { Logger } from 'pino';
import type { BusEventName, BusEvents } from './events.js';

const mitt = mittImport as unknown as typeof mittImport.default;

export type BusHandler<K extends BusEventName> = (payload: BusEvents[K]) => void | Promise<void>;

export interface Bus {
  /** Subscribe; returns the unsubscribe function. */
  on<K extends BusEventName>(type: K, handler: BusHandler<K>): () => void;
  emit<K extends BusEventName>(type: K, payload: BusEvents[K]): void;
  /** Number of handlers currently attached (all events, or one). */
  listenerCount(type?: BusEventName): number;
  /** Detach every handler (shutdown). */
  clear(): void;
  /** Resolves when every handler promise started so far has settled. */
  idle(): Promise<void>;
}

export function createBus(log: Pick<Logger, 'error'>): Bus {
  type Wrapped = (payload: unknown) => void;
  const emitter = mitt<Record<BusEventName, unknown>>();
  // Handler promises not settled yet: a count and the `idle()` callers to wake at zero
  // (not a Set of the promises: no per-promise closures or Set entry on every message).
  let pending = 0;
  let idleWaiters: (() => void)[] = [];
  const settled = (): void => {
    pending -= 1;
    if (pending === 0 && idleWaiters.length > 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const wake of waiters) wake();
    }
  };

  const report = (type: BusEventName, err: unknown) => {
    log.error({ event: type, err }, `bus handler for ${type} failed`);
  };

  return {
    on(type, handler) {
      // Made once per handler: a rejection is reported with its event name.
      const failed = (err: unknown): void => {
        settled();
        report(type, err);
      };
      const wrapped: Wrapped = (payload) => {
        let result: void | Promise<void>;
        try {
          result = handler(payload as never);
        } catch (err) {
          report(type, err);
          return;
        }
        if (result && typeof (result as Promise<void>).then === 'function') {
          pending += 1;
          void (result as Promise<void>).then(settled, failed);
        }
      };
      emitter.on(type, wrapped);
      return () => emitter.off(type, wrapped);
    },
    emit(type, payload) {
      // mitt's own emit copies the list twice (slice, map) and looks up '*' handlers,
      // which wagate does not use: the same call order over one copy.
      const list = emitter.all.get(type) as Wrapped[] | undefined;
      if (!list) return;
      if (list.length === 1) list[0]!(payload);
      else for (const h of list.slice()) h(payload);
    },
    listenerCount(type) {
      if (type) return emitter.all.get(type)?.length ?? 0;
      let n = 0;
      for (const list of emitter.all.values()) n += (list as unknown[]).length;
      return n;
    },
    clear() {
      emitter.all.clear();
    },
    async idle() {
      while (pending > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
  };
}
