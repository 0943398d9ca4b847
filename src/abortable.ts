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
    const onAbort = () => {
      work.catch(() => undefined);
      reject(abortReason(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}
