/**
 * The gateway's recent log lines in memory, for the control page's live tail
 * (`logs.tail`): a pino stream that keeps the last `capacity` JSON lines (the
 * same lines the log file gets, secrets already redacted by the logger) and
 * tells subscribers about each new one.
 */
import { Writable } from 'node:stream';

export interface LogTap {
  /** The pino destination. */
  readonly stream: Writable;
  /** The kept lines, oldest first. */
  recent(): string[];
  /** Called with each new line; returns the unsubscribe function. */
  subscribe(fn: (line: string) => void): () => void;
}

export const LOG_TAP_CAPACITY = 500;

export function createLogTap(capacity = LOG_TAP_CAPACITY): LogTap {
  const lines: string[] = [];
  const subscribers = new Set<(line: string) => void>();
  let partial = '';
  const push = (line: string) => {
    if (!line) return;
    lines.push(line);
    if (lines.length > capacity) lines.shift();
    for (const fn of subscribers) {
      try {
        fn(line);
      } catch {
        // a subscriber's failure never stops logging
      }
    }
  };
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      const text = partial + chunk.toString();
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      for (const p of parts) push(p);
      cb();
    },
  });
  return {
    stream,
    recent: () => [...lines],
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
  };
}
