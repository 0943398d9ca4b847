/**
 * Waiting for WhatsApp's acknowledgement of a message we sent. Baileys' `sendMessage`
 * resolves once the stanza is written to the socket; a socket that dies right then
 * may never have carried it to WhatsApp. The server answers every message stanza with
 * `<ack class="message" id=…>` (PROTOCOL-NOTES); Baileys hands every frame with an id
 * to `ws` as `TAG:<id>`. So a send counts as done only once that ack (or any frame
 * answering the id, such as a receipt) came back; when the connection ends first, the
 * send fails like Baileys' own transient "Connection Closed" (428), and the caller
 * sends it again under the same id (phones show one id once).
 */
import type { EventEmitter } from 'node:events';

/** How long after the stanza went out WhatsApp has to acknowledge it. */
export const SEND_ACK_TIMEOUT_MS = 30_000;

export interface AckWait {
  /** Resolves on the ack; rejects when the socket closes or `timeoutMs` passes after `sent()`. */
  readonly acked: Promise<void>;
  /** The stanza was written: start the timeout. */
  sent(): void;
  /** Stop waiting (the send itself failed). */
  cancel(): void;
}

/** A rejection the caller classifies like any failed send (both transient). */
const sendError = (message: string, statusCode: number) => Object.assign(new Error(message), { output: { statusCode } });
const closed = () => sendError('Connection Closed', 428);
/** What a call on a socket that ended fails with (transient, like Baileys' own). */
export const connectionEnded = closed;

/**
 * What a failed `sendMessage` threw, as the caller can classify it. Baileys' queries
 * (the usync and key fetches a send makes first) reject with the WebSocket's bare close
 * code when the socket closes under them (`waitForMessage` listens to `ws` 'close',
 * whose first argument is the code: a number such as 1005, not an Error); that is the
 * transient "Connection Closed", not a permanent failure (chaos seed 7100: a reply lost
 * to a 1005 during a drop).
 */
export function sendFailure(err: unknown): unknown {
  if (typeof err === 'number') return sendError(`Connection Closed (WebSocket close code ${err})`, 428);
  return err;
}
const timedOut = (id: string) => sendError(`Timed Out waiting for WhatsApp to acknowledge message ${id}`, 408);

/** The socket's event emitter, for its `connection.update` (the only sure sign of its end). */
export interface ConnectionUpdates {
  on(event: 'connection.update', fn: (u: { connection?: string }) => void): void;
  off(event: 'connection.update', fn: (u: { connection?: string }) => void): void;
}

/**
 * Listen for the ack of message `id` on a Baileys socket's `ws` — before sending, so
 * an ack that comes back fast is not missed. The end of the connection is watched on
 * `ev` too: when Baileys ends a socket itself (a stream error) it first removes every
 * `close` listener of `ws`, then reports `connection: 'close'` there.
 */
export function waitForAck(ws: EventEmitter, ev: ConnectionUpdates, id: string, timeoutMs = SEND_ACK_TIMEOUT_MS): AckWait {
  let timer: NodeJS.Timeout | null = null;
  let settle: (err?: Error) => void = () => undefined;
  const acked = new Promise<void>((resolve, reject) => {
    const onAck = () => settle();
    const onClose = () => settle(closed());
    const onUpdate = (u: { connection?: string }) => {
      if (u.connection === 'close') onClose();
    };
    settle = (err) => {
      settle = () => undefined;
      if (timer) clearTimeout(timer);
      ws.off(`TAG:${id}`, onAck);
      ws.off('close', onClose);
      ev.off('connection.update', onUpdate);
      if (err) reject(err);
      else resolve();
    };
    ws.on(`TAG:${id}`, onAck);
    ws.on('close', onClose);
    ev.on('connection.update', onUpdate);
  });
  // It may settle before anyone awaits it (a close during the send): never an unhandled rejection.
  acked.catch(() => undefined);
  return {
    acked,
    sent() {
      // unref: a send abandoned on stop must not keep the process alive for its timeout
      if (timer === null) timer = setTimeout(() => settle(timedOut(id)), timeoutMs).unref();
    },
    cancel() {
      settle(new Error('cancelled'));
    },
  };
}
