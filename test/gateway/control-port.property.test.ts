/**
 * Property: whatever frames a client sends (random bytes, random text, random
 * JSON, request-shaped JSON, invalid UTF-8, frames over each limit), before or
 * after authenticating, the gateway does not crash; before auth the socket gets
 * at most one error answer and is closed; after auth every frame gets exactly
 * one answer unless ws closes the socket (oversized, invalid UTF-8); and a good
 * client is served afterwards.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectControl } from '../../src/gateway/control-client.js';
import type { ControlServer } from '../../src/gateway/control-server.js';
import { PRE_AUTH_MAX_FRAME_BYTES } from '../../src/gateway/protocol.js';
import { closeTestServers, raw, startTestServer, TOKEN, type RawSocket } from './control-helpers.js';

const MAX_FRAME = 16 * 1024;
const MAX_PAYLOAD = 64 * 1024;

type Frame = { data: string | Buffer; binary: boolean; size: number; invalidUtf8?: boolean };

const text = (s: string): Frame => ({ data: s, binary: false, size: Buffer.byteLength(s) });
const frame = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((b): Frame => ({ data: Buffer.from(b), binary: true, size: b.length })),
  fc.string({ maxLength: 64 }).map(text),
  fc.jsonValue({ maxDepth: 3 }).map((v) => text(JSON.stringify(v) ?? 'null')),
  fc
    .record(
      {
        type: fc.constantFrom<unknown>('req', 'res', 'event', 1, null),
        id: fc.oneof(fc.string({ maxLength: 200 }), fc.integer(), fc.constant(null), fc.double()),
        method: fc.oneof(fc.constantFrom('connect', 'echo', 'stream', 'explode', 'nope'), fc.string({ maxLength: 140 })),
        params: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: [] },
    )
    .map((o) => text(JSON.stringify(o))),
  // Bytes sent as a text frame: invalid UTF-8 is ws's own close (1007).
  fc.constantFrom(Buffer.from([0xff, 0xfe, 0x7b]), Buffer.from([0xc3, 0x28])).map((b): Frame => ({ data: b, binary: false, size: b.length, invalidUtf8: true })),
  // Over the pre-auth limit, over the post-auth error limit, over ws's post-auth maxPayload.
  fc.constantFrom(PRE_AUTH_MAX_FRAME_BYTES + 1, MAX_FRAME + 1, MAX_PAYLOAD + 1).map((n) => text('x'.repeat(n))),
);

let server: ControlServer;
beforeAll(async () => {
  server = await startTestServer({
    limits: { maxFrameBytes: MAX_FRAME, maxPayloadBytes: MAX_PAYLOAD, authFailBaseDelayMs: 1, authFailMaxDelayMs: 2, authTimeoutMs: 2000 },
  });
});
afterAll(closeTestServers);

/** Wait for the answer with `id`, or the close; true when answered. */
async function answered(r: RawSocket, id: string): Promise<boolean> {
  for (let n = 1; ; n++) {
    try {
      if ((await r.next(n))?.id === id) return true;
    } catch {
      return false;
    }
  }
}

const errorAnswer = { type: 'res', ok: false, error: { code: expect.stringMatching(/^WAGATE_ERR_[A-Z_]+$/), message: expect.any(String) } };

describe('control port under arbitrary frames', () => {
  it('never crashes, answers or closes clearly, and keeps serving a good client', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(frame, { minLength: 1, maxLength: 6 }), async (authFirst, frames) => {
        const r = await raw(server.url);
        if (authFirst) {
          r.ws.send(JSON.stringify({ type: 'req', id: 'auth', method: 'connect', params: { token: TOKEN } }));
          expect(await r.next(1)).toMatchObject({ id: 'auth', ok: true });
        }
        for (const f of frames) r.ws.send(f.data, { binary: f.binary });
        if (!authFirst) {
          const { code } = await r.closed;
          expect([1008, 1009, 1007, 1006]).toContain(code);
          if (code === 1006) expect(frames.some((f) => f.size > PRE_AUTH_MAX_FRAME_BYTES)).toBe(true);
          expect(r.frames.length).toBeLessThanOrEqual(1);
          for (const f of r.frames) expect(f).toMatchObject(errorAnswer);
        } else {
          r.ws.send(JSON.stringify({ type: 'req', id: 'sentinel', method: 'echo', params: { text: 'end' } }));
          const responses = () => r.frames.filter((f) => f.type === 'res').slice(1);
          if (await answered(r, 'sentinel')) {
            expect(responses()).toHaveLength(frames.length + 1);
            r.ws.close();
          } else {
            const { code } = await r.closed;
            expect([1007, 1009]).toContain(code);
            expect(frames.some((f) => f.invalidUtf8 || f.size > MAX_PAYLOAD)).toBe(true);
            expect(responses().length).toBeLessThanOrEqual(frames.length);
          }
        }
        const good = await connectControl({ url: server.url, token: TOKEN });
        expect(await good.requestRaw('echo', { text: 'ok' })).toEqual({ text: 'ok' });
        good.close();
      }),
      { numRuns: 60 },
    );
  });
});
