import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/index.js';
import { knownKeysAt } from '../../src/config/schema-keys.js';

const readme = fs.readFileSync(new URL('../../src/config/README.md', import.meta.url), 'utf8');

describe('src/config/README.md', () => {
  const sections: string[][] = [
    ['channels', 'whatsapp'],
    ['agents', 'defaults'],
    ['agents', 'defaults', 'heartbeat'],
    ['messages'],
    ['messages', 'groupChat'],
    ['session'],
    ['commands'],
    ['web'],
    ['web', 'reconnect'],
    ['gateway'],
    ['logging'],
    ['media'],
  ];
  for (const section of sections) {
    it(`documents every key of ${section.join('.')}`, () => {
      const keys = knownKeysAt(ConfigSchema, section, {});
      expect(keys?.length).toBeGreaterThan(0);
      const missing = (keys ?? []).filter((k) => !readme.includes(`\`${[...section, k].join('.')}`));
      expect(missing).toEqual([]);
    });
  }
});
