import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh state dir, removed after the test. */
export function tempStateDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'wagate-pairing-'));
  dirs.push(d);
  return d;
}

/** A random source that yields the given codes' bytes in turn (each letter = its alphabet index). */
export function scriptedRandom(...codes: string[]): (n: number) => Uint8Array {
  const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const queue = [...codes];
  return (n) => {
    const code = queue.shift();
    if (!code) throw new Error('scriptedRandom: no more codes');
    if (code.length !== n) throw new Error(`scriptedRandom: ${code} is not ${n} long`);
    // High bits set on purpose: the generator must only use the low 5 bits.
    return Uint8Array.from([...code].map((c) => ALPHABET.indexOf(c) | 0xe0));
  };
}
