import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkText, type ChunkMode } from '../../src/access/text/chunking.js';

const noSpace = (s: string): string => s.replace(/\s+/g, '');
const isFence = (line: string): boolean => /^```/.test(line);
/** CommonMark-style: a ``` line opens a block; inside one, only a bare ``` line closes it. */
function endsInsideFence(chunk: string): boolean {
  let open = false;
  for (const l of chunk.split('\n')) {
    if (!open && isFence(l)) open = true;
    else if (open && l.trim() === '```') open = false;
  }
  return open;
}
/** The text without fence lines and whitespace: what must survive chunking unchanged. */
const essence = (s: string): string =>
  noSpace(
    s
      .split('\n')
      .filter((l) => !isFence(l))
      .join('\n'),
  );

/** Reply-like text: words, emoji (surrogate pairs), newlines, blank lines and ``` blocks. */
const word = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'b', 'é', '😀', '𝄞', '-', '.'), minLength: 1, maxLength: 12 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }).map((s) => s.replace(/[`\s]/g, 'x')),
  fc.constant('x'.repeat(60)),
);
const line = fc.array(word, { minLength: 0, maxLength: 8 }).map((ws) => ws.join(' '));
const fenceBlock = fc
  .tuple(fc.constantFrom('', 'ts', 'python', 'json5'), fc.array(line, { maxLength: 6 }), fc.boolean())
  .map(([info, lines, closed]) => ['```' + info, ...lines, ...(closed ? ['```'] : [])].join('\n'));
const block = fc.oneof({ weight: 3, arbitrary: line }, { weight: 1, arbitrary: fenceBlock }, { weight: 1, arbitrary: fc.constant('') });
const replyText = fc.array(block, { maxLength: 20 }).map((bs) => bs.join('\n'));
const mode = fc.constantFrom<ChunkMode>('length', 'newline');
const limit = fc.integer({ min: 24, max: 300 });

describe('chunkText properties', () => {
  it('no chunk is over the limit (first chunk within limit minus reserve)', () => {
    fc.assert(
      fc.property(replyText, limit, mode, fc.nat({ max: 10 }), (text, lim, m, reserve) => {
        const chunks = chunkText(text, { limit: lim, mode: m, firstChunkReserve: reserve });
        chunks.forEach((c, i) => expect(c.length).toBeLessThanOrEqual(i === 0 ? lim - reserve : lim));
      }),
      { numRuns: 400 },
    );
  });

  it('chunks rejoin to the text modulo whitespace at split points and added fence lines', () => {
    fc.assert(
      fc.property(replyText, limit, mode, (text, lim, m) => {
        const chunks = chunkText(text, { limit: lim, mode: m });
        expect(essence(chunks.join('\n'))).toBe(essence(text));
      }),
      { numRuns: 400 },
    );
  });

  it('without code fences, only whitespace is lost', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }).map((s) => s.replace(/`/g, "'")), fc.integer({ min: 2, max: 50 }), (text, lim) => {
        expect(noSpace(chunkText(text, { limit: lim }).join(''))).toBe(noSpace(text));
      }),
      { numRuns: 400 },
    );
  });

  it('no chunk starts or ends with a lone surrogate', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('😀', 'a', ' ', '\n', '𝄞'), maxLength: 200 }), fc.integer({ min: 2, max: 20 }), mode, (text, lim, m) => {
        for (const c of chunkText(text, { limit: lim, mode: m })) {
          expect(c.charCodeAt(0) >= 0xdc00 && c.charCodeAt(0) <= 0xdfff).toBe(false);
          const last = c.charCodeAt(c.length - 1);
          expect(last >= 0xd800 && last <= 0xdbff).toBe(false);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('code fences are balanced in every chunk', () => {
    fc.assert(
      fc.property(replyText, limit, mode, (text, lim, m) => {
        for (const c of chunkText(text, { limit: lim, mode: m })) expect(endsInsideFence(c)).toBe(false);
      }),
      { numRuns: 400 },
    );
  });
});
