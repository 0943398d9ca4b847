/**
 * The suite's one temp-dir helper: a fresh directory under the OS temp dir,
 * removed after the test that made it (or, made in `beforeAll`, after the file).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach } from 'vitest';

const perTest: string[] = [];
const perFile: string[] = [];
// maxRetries: a stopped gateway's last key write may land while its dir is being
// removed (ENOTEMPTY was seen once in an e2e test).
const remove = (dirs: string[]) => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
};

afterEach(() => remove(perTest));
afterAll(() => remove(perFile));

/**
 * A fresh directory (`<tmp>/wagate-<label>-XXXXXX`), removed after the test;
 * with `{ scope: 'file' }` (for a `beforeAll`) after the test file.
 */
export function tmpDir(label = 'test', opts: { scope?: 'test' | 'file' } = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `wagate-${label}-`));
  (opts.scope === 'file' ? perFile : perTest).push(dir);
  return dir;
}
