/**
 * The control protocol (SPEC §10): JSON frames over a WebSocket.
 *
 *   client → gateway  {type:"req", id, method, params}
 *   gateway → client  {type:"res", id, ok:true, payload} | {type:"res", id, ok:false, error:{code,message}}
 *   gateway → client  {type:"event", event, payload, seq}
 *
 * The first request must be `connect` with the token; the answer's payload is
 * `{type:"hello-ok", protocol, snapshot:{presence, health}}`.
 */
import { z } from 'zod';
import type { ErrorInfo } from '../errors.js';

export const PROTOCOL_VERSION = 1;
/** Frames larger than this get WAGATE_ERR_FRAME_TOO_LARGE. */
export const MAX_FRAME_BYTES = 1024 * 1024;

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
