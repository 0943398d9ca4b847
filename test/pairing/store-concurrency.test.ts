import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { createPairingStore } from '../../src/pairing/store.js';
import { withFileLock } from '../../src/pairing/file-lock.js';
import { until } from '../helpers/until.js';
import { tmpDir } from '../helpers/tmp.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../..');
const numbers = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `+1555${prefix}${String(i).padStart(4, '0')}`);

describe('pairing store: concurrent writers lose no update', () => {
  it('two store instances in one process: concurrent approvals and requests all land', async () => {
    const stateDir = tmpDir('pairing');
    const gateway = createPairingStore({ stateDir, maxPending: 100 });
    const cli = createPairingStore({ stateDir, maxPending: 100 });
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
    const gateway = createPairingStore({ stateDir, maxPending: 1000 });
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

describe('the store lock file', () => {
  it('a held lock makes writers wait; they finish once it is released', async () => {
    const stateDir = tmpDir('pairing');
    const store = createPairingStore({ stateDir, lock: { pollMs: 2 } });
    const lock = path.join(stateDir, 'credentials', '.whatsapp-pairing.lock');
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    fs.writeFileSync(lock, '99999\n'); // another process holds it
    // The writer found the lock taken (a failed 'wx' open is followed by a stat for staleness).
    const stat = vi.spyOn(fs.promises, 'stat');
    const polls = () => stat.mock.calls.filter(([p]) => p === lock).length;
    let finished = false;
    const req = store.requestCode('+15551234567', 'default').then((r) => ((finished = true), r));
    await until(() => polls() >= 3, 'the writer polling the held lock three times');
    expect(finished).toBe(false);
    expect(fs.existsSync(store.paths.pending)).toBe(false);
    fs.unlinkSync(lock);
    expect((await req).status).toBe('created');
    expect(fs.existsSync(lock)).toBe(false);
  });

  it('takes over a stale lock (left by a crashed process)', async () => {
    const stateDir = tmpDir('pairing');
    const store = createPairingStore({ stateDir, lock: { staleMs: 1000 } });
    const lock = path.join(stateDir, 'credentials', '.whatsapp-pairing.lock');
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    fs.writeFileSync(lock, '99999\n');
    const old = new Date(Date.now() - 5000);
    fs.utimesSync(lock, old, old);
    expect((await store.requestCode('+15551234567', 'default')).status).toBe('created');
  });

  it('gives up with WAGATE_ERR_PAIRING_STORE when the lock stays held', async () => {
    const stateDir = tmpDir('pairing');
    const store = createPairingStore({ stateDir, lock: { timeoutMs: 30, pollMs: 5 } });
    const lock = path.join(stateDir, 'credentials', '.whatsapp-pairing.lock');
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    fs.writeFileSync(lock, '99999\n');
    await expect(store.requestCode('+15551234567', 'default')).rejects.toMatchObject({
      code: 'WAGATE_ERR_PAIRING_STORE',
      message: expect.stringContaining('locked by another wagate process'),
    });
  });

  it('releases the lock when the job throws, and runs queued jobs in order', async () => {
    const dir = tmpDir('pairing');
    const lock = path.join(dir, 'x.lock');
    const order: number[] = [];
    const a = withFileLock(lock, async () => {
      order.push(1);
      throw new Error('boom');
    });
    const b = withFileLock(lock, async () => order.push(2));
    await expect(a).rejects.toThrow('boom');
    await b;
    expect(order).toEqual([1, 2]);
    expect(fs.existsSync(lock)).toBe(false);
  });
});
