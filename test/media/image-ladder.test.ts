import { describe, expect, it } from 'vitest';
import { decodeImage, ladderRung, searchRung, sidesFor } from '../../src/media/image-ladder.js';
import { makeJpeg } from './fixtures.js';

describe('rung search', () => {
  it('sides start at the image itself (at most 4096) and go down the ladder', () => {
    expect(sidesFor({ width: 1000, height: 3000 })).toEqual([3000, 2560, 2048, 1600, 1280, 1024, 800]);
    expect(sidesFor({ width: 8000, height: 100 })[0]).toBe(4096);
  });

  it.each([
    ['fits at once', 30, 2_000_000],
    ['a lower quality', 60, 250_000],
    ['a smaller side', 80, 90_000],
  ])('finds the same rung as the fixed ladder with no more encodes (%s)', async (_name, grain, cap) => {
    const img = await decodeImage(await makeJpeg({ width: 1600, height: 1200, grain, seed: grain }));
    const ladder = await ladderRung(img, cap);
    const search = await searchRung(img, cap);
    expect(ladder).not.toBeNull();
    expect(search!.rung).toEqual(ladder!.rung);
    expect(search!.data.length).toBeLessThanOrEqual(cap);
    expect(search!.encodes).toBeLessThanOrEqual(ladder!.encodes);
  }, 30_000);

  it('null when even the smallest rung is over the cap', async () => {
    const img = await decodeImage(await makeJpeg({ width: 1200, height: 900, grain: 60 }));
    expect(await searchRung(img, 1000)).toBeNull();
    expect(await ladderRung(img, 1000)).toBeNull();
  }, 30_000);
});
