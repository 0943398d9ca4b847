/**
 * The control port's limits (defaults; the server takes overrides, tests use
 * tiny ones) and the ws hook that applies the post-auth frame limit per socket.
 */
import type { WebSocket } from 'ws';
import type { AdmissionLimits } from './control-admission.js';
import { MAX_FRAME_BYTES, MAX_PAYLOAD_BYTES, PRE_AUTH_MAX_FRAME_BYTES } from './protocol.js';

export interface ControlLimits extends AdmissionLimits {
  /** Close a socket that has not authenticated within this time. */
  authTimeoutMs: number;
  preAuthMaxFrameBytes: number;
  /** Post-auth frames above this get WAGATE_ERR_FRAME_TOO_LARGE. */
  maxFrameBytes: number;
  /** Post-auth frames above this close the socket (ws `maxPayload`, 1009). */
  maxPayloadBytes: number;
  /** Delay after a first failed authentication from an address; doubles up to `authFailMaxDelayMs`. */
  authFailBaseDelayMs: number;
  authFailMaxDelayMs: number;
}

export const CONTROL_LIMITS: ControlLimits = {
  authTimeoutMs: 5_000,
  preAuthMaxFrameBytes: PRE_AUTH_MAX_FRAME_BYTES,
  maxFrameBytes: MAX_FRAME_BYTES,
  maxPayloadBytes: MAX_PAYLOAD_BYTES,
  maxUnauthenticated: 32,
  maxSockets: 128,
  authFailBaseDelayMs: 250,
  authFailMaxDelayMs: 10_000,
};

/**
 * ws has one `maxPayload` per server; the pre-auth limit is small and is raised
 * per socket once it authenticates, through the receiver's own limit (checked
 * when a frame header is parsed, so an oversized frame is never buffered).
 */
export function setFrameLimit(ws: WebSocket, bytes: number): void {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: unknown } })._receiver;
  if (!receiver || typeof receiver._maxPayload !== 'number') {
    throw new Error('ws internals changed: cannot raise maxPayload for an authenticated control socket');
  }
  receiver._maxPayload = bytes;
}
