/**
 * The connection actor: the real effect behind the account machine's `connection`
 * actor (machines/account.machine.ts), supplied by the runtime with
 * `.provide({ actors })`. The machine starts one while it is `online` (linking,
 * connecting, connected) and stops it when it leaves; so one actor is one
 * connection's lifetime:
 *
 * - start: open one transport connection in the input's mode;
 * - forward its QR / OPEN / CLOSE to the machine, and run the watchdog (armed on
 *   open, fed by every frame, a stall ends the connection with a `stalled` close);
 * - stop: close the socket. From then on its lifecycle events go nowhere — but the
 *   chat messages it still releases (Baileys hands out what it held as the socket
 *   ends, already acknowledged to WhatsApp) reach the bus as `message.received`.
 */
import type { Logger } from 'pino';
import { fromCallback, type AnyEventObject, type CallbackLogicFunction } from 'xstate';
import type { ConnectionActorEvent, ConnectionInput } from '../../machines/index.js';
import type { Bus } from '../bus/bus.js';
import type { AccountTransport, Connection } from '../ports/transport.js';
import { Watchdog, type TimerClock } from './watchdog.js';

/** What the runtime reads of the running connection (sends, heartbeat, debug dump, logout). */
export interface ConnectionTracker {
  /** The connection of the running actor; null while none runs. */
  current: Connection | null;
  /** When the last frame arrived from WhatsApp (or the connection opened). */
  lastFrameAt: number | null;
  /** How many connections the watchdog gave up on. */
  watchdogFired: number;
  /** Settles once every connection closed so far has finished closing. */
  closing: Promise<void>;
}

export function newConnectionTracker(): ConnectionTracker {
  return { current: null, lastFrameAt: null, watchdogFired: 0, closing: Promise.resolve() };
}

export interface ConnectionActorDeps {
  accountId: string;
  transport: AccountTransport;
  bus: Bus;
  logger: Logger;
  clock: TimerClock;
  /** Silence after which the watchdog ends the connection. */
  watchdogMs: number;
  now: () => number;
  track: ConnectionTracker;
}

/** One connection actor's body: what `fromCallback` runs (account-runtime.ts shares one actor logic between accounts). */
export type ConnectionCallback = CallbackLogicFunction<ConnectionActorEvent, AnyEventObject, ConnectionInput>;

export function connectionActor(deps: ConnectionActorDeps) {
  return fromCallback<ConnectionActorEvent, ConnectionInput>(connectionCallback(deps));
}

export function connectionCallback(deps: ConnectionActorDeps): ConnectionCallback {
  const { accountId, bus, logger: log, track } = deps;
  return ({ input, sendBack }) => {
    let running = true;
    const watchdog = new Watchdog(
      deps.watchdogMs,
      (silentMs) => {
        const reason = `watchdog: no frame from WhatsApp for ${Math.round(silentMs / 1000)} s`;
        log.warn({ silentMs }, `${reason}; forcing a reconnect`);
        track.watchdogFired += 1;
        sendBack({ type: 'CLOSE', code: null, reason, stalled: true });
      },
      deps.clock,
    );
    const phone = input.mode === 'link' ? (input.phone ?? null) : null;
    log.info({ mode: input.mode }, input.mode === 'link' ? `opening a connection to link by ${phone ? 'pairing code' : 'QR'}` : 'connecting with saved creds');
    let codeAsked = false;
    // Baileys rc14 can ask for a pairing code once the socket shows its first QR.
    const askCode = (c: Connection, e164: string) => {
      codeAsked = true;
      c.requestPairingCode(e164.slice(1)).then(
        (code) => {
          if (running) sendBack({ type: 'CODE', code });
        },
        (err: unknown) => {
          if (!running) return;
          const cause = (err as Error).message;
          const message = `WhatsApp gave no pairing code for ${e164}; check the number and run \`wagate channels login --phone ${e164}\` again.`;
          log.warn({ err }, message);
          sendBack({ type: 'CLOSE', code: null, reason: message, error: { code: 'WAGATE_ERR_NOT_LINKED', message, cause } });
        },
      );
    };
    const conn: Connection = deps.transport.connect(input.mode, (ev) => {
      if (ev.type === 'messages') {
        // Never dropped, even once this connection is being closed or replaced:
        // WhatsApp already has our delivery receipt and will not send them again.
        for (const message of ev.messages) bus.emit('message.received', { accountId, message });
        return;
      }
      if (ev.type === 'held') {
        // Recorded now (acknowledged to WhatsApp already); handled when they come as `messages`.
        for (const message of ev.messages) bus.emit('message.held', { accountId, message });
        return;
      }
      if (!running) return;
      switch (ev.type) {
        case 'activity':
          track.lastFrameAt = ev.at;
          watchdog.feed();
          return;
        case 'qr':
          sendBack({ type: 'QR', qr: ev.qr });
          if (phone && !codeAsked) askCode(conn, phone);
          return;
        case 'open':
          track.lastFrameAt = deps.now();
          watchdog.arm();
          sendBack({ type: 'OPEN', identity: ev.identity });
          return;
        case 'close':
          watchdog.disarm();
          sendBack('error' in ev ? { type: 'CLOSE', code: null, reason: ev.reason, error: ev.error } : { type: 'CLOSE', code: ev.code, reason: ev.reason });
          return;
      }
    });
    track.current = conn;
    return () => {
      running = false;
      watchdog.disarm();
      if (track.current === conn) track.current = null;
      const closed = conn.close('closed by the gateway').catch((err: unknown) => {
        log.warn({ err }, 'closing the connection failed');
      });
      track.closing = Promise.all([track.closing, closed]).then(() => undefined);
    };
  };
}
