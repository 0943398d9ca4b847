import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readSse } from '../../src/agents/providers/sse.js';

function streamOf(parts: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const p of parts) controller.enqueue(p);
      controller.close();
    },
  });
}

async function collect(parts: Uint8Array[]): Promise<string[]> {
  const out: string[] = [];
  for await (const d of readSse(streamOf(parts))) out.push(d);
  return out;
}

const TEXT =
  ': comment\n\nevent: message\ndata: {"a":"ü😀"}\n\ndata: line1\r\ndata: line2\r\n\r\nid: 7\ndata:[DONE]\n\n';
const EXPECTED = ['{"a":"ü😀"}', 'line1\nline2', '[DONE]'];

describe('readSse (our use of eventsource-parser on a fetch body)', () => {
  it('yields data payloads; comments and other fields ignored; CRLF and multi-line data', async () => {
    expect(await collect([new TextEncoder().encode(TEXT)])).toEqual(EXPECTED);
  });

  it('a final event without the blank line is still yielded', async () => {
    expect(await collect([new TextEncoder().encode('data: a\n\ndata: tail')])).toEqual(['a', 'tail']);
  });

  it('gives the same events whatever the byte chunking (UTF-8 split mid-character too)', async () => {
    const bytes = new TextEncoder().encode(TEXT);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }), async (cuts) => {
        const points = [0, ...cuts.sort((x, y) => x - y), bytes.length];
        const parts = points.slice(1).map((end, i) => bytes.slice(points[i], end));
        expect(await collect(parts)).toEqual(EXPECTED);
      }),
    );
  });

  it('a consumer that stops early cancels the body (the connection is not left open)', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data: one\n\ndata: two\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const d of readSse(body)) {
      expect(d).toBe('one');
      break;
    }
    expect(cancelled).toBe(true);
  });

  it('a body that errors rejects the reader (the provider then reports the broken stream)', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data: one\n\n'));
        controller.error(new Error('socket hang up'));
      },
    });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const d of readSse(body)) seen.push(d);
      })(),
    ).rejects.toThrow('socket hang up');
    expect(seen).toEqual([]);
  });
});
