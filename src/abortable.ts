/** Waiting on work that may ignore its abort signal, and signals shared by many waiters. */
import { setMaxListeners } from 'node:events';

/**
 * An AbortController whose signal many waiters listen to at once (an actor's stop
 * signal: one listener per send or run in flight, any number of chats): no
 * MaxListenersExceededWarning, which is meant for one listener leaking per call.
 */
export function sharedAbortController(): AbortController {
  const c = new AbortController();
  setMaxListeners(0, c.signal);
  return c;
}

/**
 * Stop waiting for a promise when a signal aborts: the promise itself runs on (its
 * result is ignored), but the caller moves on at once with the signal's reason. Used
 * where a stop must not be held by work that ignores its signal (a send on a dead
 * socket, an agent that never answers).
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const off = onAbort(signal, () => {
      work.catch(() => undefined);
      reject(abortReason(signal));
    });
    work.then(
      (v) => {
        off();
        resolve(v);
      },
      (err: unknown) => {
        off();
        reject(err);
      },
    );
  });
}

/** The callbacks waiting on each signal (one real 'abort' listener per signal). */
const waiting = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Call `fn` once when `signal` aborts (not when it already has: check `aborted`
 * first); returns the function that forgets it. Many waiters on one long-lived
 * signal (an actor's stop signal, per message in flight) share one real listener:
 * a Set entry each instead of an EventTarget listener added and removed per message.
 */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let fns = waiting.get(signal);
  if (!fns) {
    const set = (fns = new Set());
    waiting.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        waiting.delete(signal);
        for (const f of set) f();
        set.clear();
      },
      { once: true },
    );
  }
  const set = fns;
  set.add(fn);
  return () => void set.delete(fn);
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}

/**
 * A run's abort: aborted as soon as one of its parents (long-lived signals: the
 * runner's, its caller's) aborts. Its own `AbortSignal` is made only when something
 * asks for it (a provider that listens): an in-process agent that never looks at it
 * costs no AbortController per run. `until` waits for work like `untilAborted`.
 * `dispose()` when the run ends.
 */
export class LinkedAbort {
  private controller: AbortController | undefined;
  private offs: (() => void)[] | undefined;

  constructor(private readonly parents: readonly AbortSignal[]) {}

  get aborted(): boolean {
    return this.controller ? this.controller.signal.aborted : this.parents.some((p) => p.aborted);
  }

  /** The run's signal (made now if it was not yet); its reason is an AbortError. */
  get signal(): AbortSignal {
    if (!this.controller) {
      const c = (this.controller = new AbortController());
      if (this.parents.some((p) => p.aborted)) c.abort();
      else this.offs = this.parents.map((p) => onAbort(p, () => c.abort()));
    }
    return this.controller.signal;
  }

  /** `work`'s outcome, or a rejection with an AbortError as soon as the run aborts. */
  until<T>(work: Promise<T>): Promise<T> {
    if (this.controller) return untilAborted(work, this.controller.signal);
    if (this.aborted) return untilAborted(work, this.signal);
    return new Promise<T>((resolve, reject) => {
      const stop = () => {
        offs.forEach((off) => off());
        work.catch(() => undefined);
        reject(abortReason(this.signal));
      };
      const offs = this.parents.map((p) => onAbort(p, stop));
      work.then(
        (v) => {
          offs.forEach((off) => off());
          resolve(v);
        },
        (err: unknown) => {
          offs.forEach((off) => off());
          reject(err);
        },
      );
    });
  }

  dispose(): void {
    this.offs?.forEach((off) => off());
    this.offs = undefined;
  }
}
