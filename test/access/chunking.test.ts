import { describe, expect, it } from 'vitest';
import { chunkText, splitParagraphs } from '../../src/access/text/chunking.js';

describe('chunkText: length mode', () => {
  it('leaves a short text as one chunk and sends nothing for blank text', () => {
    expect(chunkText('hello')).toEqual(['hello']);
    expect(chunkText('   \n ')).toEqual([]);
  });

  it('a short text that fits still gets a code fence it leaves open closed, and a reserve still counts', () => {
    expect(chunkText('see:\n```js\nx()', { limit: 100 })).toEqual(['see:\n```js\nx()\n```']);
    expect(chunkText('  padded  ', { limit: 100 })).toEqual(['  padded  ']);
    expect(chunkText('abcdef ghij', { limit: 12, firstChunkReserve: 4 })).toEqual(['abcdef', 'ghij']);
  });

  it('splits a 9,000-character text into 3 chunks at limit 4000', () => {
    const text = 'abcdefghi '.repeat(900).trimEnd();
    const chunks = chunkText(text, { limit: 4000 });
    expect(chunks).toHaveLength(3);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(4000);
    expect(chunks.join(' ')).toBe(text);
  });

  it('splits at the last newline, else the last whitespace, else hard', () => {
    expect(chunkText('aaa bbb\nccc dd', { limit: 10 })).toEqual(['aaa bbb', 'ccc dd']);
    expect(chunkText('aaa bbb ccc', { limit: 8 })).toEqual(['aaa bbb', 'ccc']);
    expect(chunkText('abcdefghijkl', { limit: 5 })).toEqual(['abcde', 'fghij', 'kl']);
  });

  it('never splits a surrogate pair', () => {
    const chunks = chunkText('ab😀cd😀', { limit: 3 });
    expect(chunks).toEqual(['ab', '😀c', 'd😀']);
  });

  it('keeps the first chunk within limit minus firstChunkReserve', () => {
    const chunks = chunkText('one two three four', { limit: 10, firstChunkReserve: 4 });
    expect(chunks[0]).toBe('one');
    expect(chunks.slice(1)).toEqual(['two three', 'four']);
  });

  it('closes a code fence at the end of a chunk and reopens it with its info string', () => {
    const code = Array.from({ length: 6 }, (_, i) => `line${i}`).join('\n');
    const text = `Here:\n\`\`\`ts\n${code}\n\`\`\`\nDone.`;
    const chunks = chunkText(text, { limit: 30 });
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks[0]).toBe('Here:\n```ts\nline0\nline1\n```');
    expect(chunks[1]).toMatch(/^```ts\nline2/);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(30);
      expect((c.match(/^```/gm) ?? []).length % 2).toBe(0);
    }
    expect(chunks.at(-1)).toMatch(/Done\.$/);
  });

  it('closes a fence the text never closed', () => {
    expect(chunkText('```\ncode', { limit: 100 })).toEqual(['```\ncode\n```']);
  });

  it('does not treat a mid-line ``` continuation as a fence', () => {
    const chunks = chunkText('see ```not a fence``` here', { limit: 12 });
    expect(chunks.every((c) => !c.endsWith('\n```'))).toBe(true);
  });
});

describe('chunkText: newline mode', () => {
  it('sends each paragraph as its own chunk', () => {
    expect(chunkText('First.\n\nSecond\nline.\n \n\nThird.', { mode: 'newline' })).toEqual(['First.', 'Second\nline.', 'Third.']);
  });

  it('length-splits a paragraph that is too long', () => {
    expect(chunkText('short\n\nthis one is too long', { mode: 'newline', limit: 12 })).toEqual([
      'short',
      'this one is',
      'too long',
    ]);
  });

  it('keeps blank lines inside a code block in one paragraph', () => {
    expect(splitParagraphs('a\n\n```\nx\n\ny\n```\n\nb')).toEqual(['a', '```\nx\n\ny\n```', 'b']);
  });
});
