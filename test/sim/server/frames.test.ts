import { NOISE_WA_HEADER } from '@whiskeysockets/baileys';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameReader, frame } from '../../../src/sim/server/noise.js';

describe('frame reader', () => {
  it('reassembles frames however the byte stream is chunked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 40 }),
        (payloads, cuts) => {
          const stream = Buffer.concat([NOISE_WA_HEADER, ...payloads.map((p) => frame(p))]);
          const reader = new FrameReader();
          const out: Buffer[] = [];
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const size = cuts[i % cuts.length]!;
            out.push(...reader.push(Buffer.from(stream.subarray(at, at + size))));
            at += size;
          }
          expect(out.map((b) => [...b])).toEqual(payloads.map((p) => [...p]));
        },
      ),
    );
  });

  it('refuses a stream without the WA header', () => {
    expect(() => new FrameReader().push(Buffer.from([0, 0, 1, 9]))).toThrow(/noise header/);
  });

  it('encodes the length as 3 bytes big-endian', () => {
    expect([...frame(new Uint8Array(0x010203)).subarray(0, 3)]).toEqual([1, 2, 3]);
  });
});
