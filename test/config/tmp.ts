/** Temp dirs for config tests, removed after each test. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';

const made: string[] = [];

export function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wagate-config-'));
  made.push(dir);
  return dir;
}

/** Write `text` as `<tmp>/wagate.json` and return its path. */
export function configFile(text: string): string {
  const file = path.join(tmpDir(), 'wagate.json');
  fs.writeFileSync(file, text);
  return file;
}

afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
