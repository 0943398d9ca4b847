import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createPairingStore } from '../../src/pairing/store.js';
import type { Store } from '../../src/store/port.js';
import { openSqliteStore, storeFile } from '../../src/store/sqlite.js';
import { tmpDir } from '../helpers/tmp.js';

const opened: Store[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});
/** A connection to `<stateDir>/wagate.db`, closed after the test. */
async function open(stateDir: string): Promise<Store> {
  const s = await openSqliteStore({ file: storeFile(stateDir) });
  opened.push(s);
  return s;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../..');
const numbers = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `+1555${prefix}${String(i).padStart(4, '0')}`);

describe('pairing store: concurrent writers lose no update', () => {
  // One store per process (a second connection in the same process would wait for the
  // first one's transaction synchronously, blocking the loop that would end it).
  it('two pairing stores on the process\'s one store: concurrent approvals and requests all land', async () => {
    const stateDir = tmpDir('pairing');
    const db = await open(stateDir);
    const gateway = createPairingStore({ store: db, maxPending: 100 });
    const cli = createPairingStore({ store: db, maxPending: 100 });
    const first = numbers('1', 10);
    const codes = await Promise.all(first.map(async (n) => (await gateway.requestCode(n, 'default')) as { code: string }));
    const later = numbers('2', 10);
    await Promise.all([
      ...codes.map((c) => cli.approve(c.code)),
      ...later.map((n) => gateway.requestCode(n, 'default')),
    ]);
    expect((await gateway.approvedSenders()).sort()).toEqual(first);
    expect((await cli.list()).map((r) => r.sender).sort()).toEqual(later);
  });

  it('a CLI process approving while the gateway issues codes: nothing is lost', async () => {
    const stateDir = tmpDir('pairing');
    const gateway = createPairingStore({ store: await open(stateDir), maxPending: 1000 });
    const first = numbers('3', 8);
    const codes: string[] = [];
    for (const n of first) codes.push(((await gateway.requestCode(n, 'default')) as { code: string }).code);
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'approve-child.ts'), stateDir, ...codes], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let onReady: () => void = () => undefined;
    const ready = new Promise<void>((r) => (onReady = r));
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ready')) onReady();
    });
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    // From the moment the child is up until it is done, keep requesting, so the writes interleave.
    let done = false;
    void exited.then(() => (done = true));
    await Promise.race([ready, exited]);
    const later: string[] = [];
    for (let i = 0; !done && i < 900; i++) {
      const n = `+15554${String(i).padStart(4, '0')}`;
      await gateway.requestCode(n, 'default');
      later.push(n);
    }
    expect(await exited, err).toBe(0);
    expect(out).toContain(`approved ${codes.length}`);
    expect((await gateway.approvedSenders()).sort()).toEqual(first);
    expect((await gateway.list()).map((r) => r.sender).sort()).toEqual(later.sort());
  }, 30_000);
});
