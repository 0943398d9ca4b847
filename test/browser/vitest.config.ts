import { defineConfig } from 'vitest/config';

// The control page in a real browser (`npm run test:browser`): Chromium at
// /usr/bin/chromium (Debian's `chromium` package), driven by playwright-core.
// Not part of `npm test`, which needs nothing but `npm ci`.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    restoreMocks: true,
  },
});
