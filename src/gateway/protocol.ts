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
import { WagateError, type ErrorInfo } from '../errors.js';

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

/** One received frame: a request, or the error to answer it with (and the id to answer, when it had one). */
export type ParsedFrame = { req: RequestFrame } | { req?: undefined; id: string | number | null; err: WagateError };

/** Check a received WebSocket message against the size limit and the request shape. */
export function parseRequestFrame(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean, maxBytes: number): ParsedFrame {
  const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
  if (size > maxBytes) return { id: null, err: new WagateError('WAGATE_ERR_FRAME_TOO_LARGE', `Frame of ${size} bytes exceeds the ${maxBytes}-byte limit.`) };
  if (isBinary) return { id: null, err: new WagateError('WAGATE_ERR_BAD_REQUEST', 'Binary frames are not supported; send JSON text frames.') };
  let json: unknown;
  try {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    json = JSON.parse(buf.toString());
  } catch (err) {
    return { id: null, err: new WagateError('WAGATE_ERR_BAD_REQUEST', `Frame is not valid JSON: ${(err as Error).message}.`) };
  }
  const parsed = requestFrameSchema.safeParse(json);
  if (!parsed.success) {
    const id = (json as { id?: unknown } | null)?.id;
    const safeId = typeof id === 'string' || typeof id === 'number' ? id : null;
    return { id: safeId, err: new WagateError('WAGATE_ERR_BAD_REQUEST', 'Expected a request frame {type:"req", id, method, params}.') };
  }
  return { req: parsed.data };
}
