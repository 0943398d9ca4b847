/**
 * The control protocol (SPEC §10): JSON frames over a WebSocket.
 *
 *   client → gateway  {type:"req", id, method, params}
 *   gateway → client  {type:"res", id, ok:true, payload} | {type:"res", id, ok:false, error:{code,message}}
 *   gateway → client  {type:"event", event, payload, seq}
 *
 * The first request must be `connect` with the token; the answer's payload is
 * `{type:"hello-ok", protocol, snapshot:{presence, health}}`. The token may also
 * come in the upgrade request (`Authorization: Bearer <token>`); see control-server.ts
 * for the limits that apply before authentication.
 */
import { z } from 'zod';
import type { ErrorInfo } from '../errors.js';

export const PROTOCOL_VERSION = 1;
/** After authentication, frames larger than this get WAGATE_ERR_FRAME_TOO_LARGE. */
export const MAX_FRAME_BYTES = 1024 * 1024;
/**
 * After authentication, ws itself closes the socket (1009) on a frame larger
 * than this, before buffering it. The largest legitimate requests are `send`
 * and `agent` text (media travel as a path or URL, not bytes), far below 1 MiB.
 */
export const MAX_PAYLOAD_BYTES = 4 * MAX_FRAME_BYTES;
/**
 * Before authentication ws closes the socket (1009) on a frame larger than this,
 * before buffering it. A `connect` request is a few hundred bytes.
 */
export const PRE_AUTH_MAX_FRAME_BYTES = 8 * 1024;

export const requestFrameSchema = z.object({
  type: z.literal('req'),
  id: z.union([z.string().min(1).max(128), z.number().int()]),
  method: z.string().min(1).max(128),
  params: z.unknown().optional(),
});
export type RequestFrame = z.infer<typeof requestFrameSchema>;

export type ResponseFrame =
  | { type: 'res'; id: string | number | null; ok: true; payload: unknown }
  | { type: 'res'; id: string | number | null; ok: false; error: ErrorInfo };

export interface EventFrame {
  type: 'event';
  event: string;
  payload: unknown;
  seq: number;
}

export type ServerFrame = ResponseFrame | EventFrame;

export const connectParamsSchema = z.object({
  token: z.string().optional(),
  client: z.object({ name: z.string().max(64), version: z.string().max(64).optional() }).optional(),
});

export interface HelloOk {
  type: 'hello-ok';
  protocol: number;
  snapshot: { presence: unknown; health: unknown };
}
