import { afterEach, describe, expect, it } from 'vitest';
import { CODE_ALPHABET, generateCode, normalizeCode } from '../../src/pairing/code.js';
import { createPairingStore, PAIRING_TTL_MS, type PairingStoreOptions } from '../../src/pairing/store.js';
import { WagateError } from '../../src/errors.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { tempSqliteStore } from '../store/helpers/temp.js';
import { scriptedRandom } from './random.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A pairing store on a fresh temp store (`db`). */
async function setup(extra: Partial<PairingStoreOptions> = {}) {
  const db = await tempSqliteStore();
  cleanups.push(() => db.cleanup());
  let t = T0;
  const clock = { now: () => t, advance: (ms: number) => (t += ms) };
  const store = createPairingStore({ store: db.store, now: clock.now, ...extra });
  return { db, clock, store };
}

async function codeError(p: Promise<unknown>): Promise<WagateError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WagateError);
  expect((err as WagateError).code).toBe('WAGATE_ERR_PAIRING_CODE');
  return err as WagateError;
}

describe('pairing codes', () => {
  it('are 8 characters from the alphabet without look-alikes, from crypto randomness by default', () => {
    expect(CODE_ALPHABET).toHaveLength(32);
    expect(CODE_ALPHABET).not.toMatch(/[IO01]/);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const code = generateCode();
      expect(code).toMatch(/^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{8}$/);
      seen.add(code);
    }
    expect(seen.size).toBe(200);
  });

  it('use only the low 5 bits of each random byte (every letter equally likely)', () => {
    expect(generateCode(() => Uint8Array.from([0, 31, 32, 63, 255, 224, 8, 40]))).toBe('A9A99AJJ');
  });

  it('are recognized in any case and with spaces around; anything else is not a code', () => {
    expect(normalizeCode(' abcd2345 ')).toBe('ABCD2345');
    expect(normalizeCode('ABCD234')).toBeNull();
    expect(normalizeCode('ABCD23450')).toBeNull();
    expect(normalizeCode('ABCD0345')).toBeNull(); // 0 is not in the alphabet
    expect(normalizeCode('ABCI2345')).toBeNull();
  });
});

describe('pairing store', () => {
  it('issues a code to an unknown sender and lists it with its expiry', async () => {
    const { store } = await setup({ random: scriptedRandom('ABCD2345') });
    const res = await store.requestCode('+15551234567', 'default', { name: 'Ann' });
    expect(res).toEqual({ status: 'created', code: 'ABCD2345', expiresAt: T0 + PAIRING_TTL_MS });
    expect(await store.list()).toEqual([
      { code: 'ABCD2345', sender: '+15551234567', accountId: 'default', name: 'Ann', createdAt: T0, expiresAt: T0 + PAIRING_TTL_MS },
    ]);
  });

  it('does not give a sender with a pending code a second one', async () => {
    const { store, clock } = await setup({ random: scriptedRandom('ABCD2345', 'WXYZ6789') });
    await store.requestCode('+15551234567', 'default');
    clock.advance(PAIRING_TTL_MS - 1);
    expect(await store.requestCode('15551234567', 'default')).toEqual({ status: 'pending', code: 'ABCD2345', expiresAt: T0 + PAIRING_TTL_MS });
    expect(await store.list()).toHaveLength(1);
  });

  it('keeps at most 3 pending requests: a 4th sender gets nothing until one expires', async () => {
    const { store, clock } = await setup({ random: scriptedRandom('AAAA2222', 'BBBB3333', 'CCCC4444', 'DDDD5555') });
    for (const n of ['+1555000001', '+1555000002', '+1555000003']) expect((await store.requestCode(n, 'default')).status).toBe('created');
    expect(await store.requestCode('+1555000004', 'work')).toEqual({ status: 'full' });
    expect((await store.list()).map((r) => r.sender)).toEqual(['+1555000001', '+1555000002', '+1555000003']);
    clock.advance(PAIRING_TTL_MS);
    expect(await store.list()).toEqual([]);
    expect(await store.requestCode('+1555000004', 'work')).toMatchObject({ status: 'created', code: 'DDDD5555' });
  });

  it('codes expire after one hour: not listed, not approvable, and the sender may get a new one', async () => {
    const { store, clock } = await setup({ random: scriptedRandom('ABCD2345', 'WXYZ6789') });
    await store.requestCode('+15551234567', 'default');
    clock.advance(PAIRING_TTL_MS);
    expect(await store.list()).toEqual([]);
    const err = await codeError(store.approve('ABCD2345'));
    expect(err.message).toContain('expired');
    expect(await store.isApproved('+15551234567')).toBe(false);
    expect(await store.requestCode('+15551234567', 'default')).toMatchObject({ status: 'created', code: 'WXYZ6789' });
  });

  it('approves case-insensitively: the sender moves from pending to approved', async () => {
    const { store } = await setup({ random: scriptedRandom('ABCD2345') });
    await store.requestCode('+15551234567', 'work');
    expect(await store.approve(' abcd2345')).toEqual({ sender: '+15551234567', accountId: 'work', code: 'ABCD2345' });
    expect(await store.list()).toEqual([]);
    expect(await store.isApproved('+1 555 123 4567')).toBe(true);
    expect(await store.approvedSenders()).toEqual(['+15551234567']);
    expect(await store.requestCode('+15551234567', 'work')).toEqual({ status: 'approved' });
    await codeError(store.approve('ABCD2345')); // used up
  });

  it('rejects unknown and malformed codes with a clear message', async () => {
    const { store } = await setup();
    expect((await codeError(store.approve('ABCD2345'))).message).toBe('No pending pairing request has the code ABCD2345.');
    expect((await codeError(store.approve('hello'))).message).toContain('"hello" is not a pairing code');
  });

  it('requests and approvals survive a restart (the store reopened)', async () => {
    const { store, db, clock } = await setup({ random: scriptedRandom('ABCD2345', 'WXYZ6789') });
    await store.requestCode('+15551234567', 'default');
    await store.requestCode('+15557654321', 'work', { name: 'Bo' });
    await store.approve('ABCD2345');
    const again = createPairingStore({ store: await db.reopen(), now: clock.now });
    expect(await again.approvedSenders()).toEqual(['+15551234567']);
    expect(await again.list()).toEqual([
      { code: 'WXYZ6789', sender: '+15557654321', accountId: 'work', name: 'Bo', createdAt: T0, expiresAt: T0 + PAIRING_TTL_MS },
    ]);
  });

  it('an expired request is removed when codes are requested or approved (it never blocks a slot)', async () => {
    const { store, db, clock } = await setup({ random: scriptedRandom('AAAA2222', 'BBBB3333') });
    await store.requestCode('+1555000001', 'default');
    clock.advance(PAIRING_TTL_MS);
    await codeError(store.approve('AAAA2222'));
    expect(await db.store.pairing.requests()).toEqual([]);
  });

  it('sees changes made through another connection to the same file (the CLI) on the next call, with no cache', async () => {
    const { store, db } = await setup({ random: scriptedRandom('ABCD2345') });
    const other = await openSqliteStore({ file: db.file });
    cleanups.unshift(() => other.close());
    const cli = createPairingStore({ store: other, now: () => T0 });
    await store.requestCode('+15551234567', 'default');
    expect(await cli.list()).toHaveLength(1);
    await cli.approve('ABCD2345');
    expect(await store.isApproved('+15551234567')).toBe(true);
  });

  it('a store that cannot be read is an error, never "not approved" or "no requests"', async () => {
    const { store, db } = await setup();
    await db.store.close();
    await expect(store.isApproved('+1555')).rejects.toMatchObject({ code: 'WAGATE_ERR_STORE' });
    await expect(store.requestCode('+1555', 'default')).rejects.toMatchObject({ code: 'WAGATE_ERR_STORE' });
    await expect(store.list()).rejects.toMatchObject({ code: 'WAGATE_ERR_STORE' });
    await db.reopen();
  });
});
