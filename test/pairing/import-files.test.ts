/** The one-time import of the pairing files of the file layout into the store. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importPairingFiles } from '../../src/pairing/import-files.js';
import { createPairingStore, PAIRING_TTL_MS } from '../../src/pairing/store.js';
import { allowFromStorePath, pairingLockFile, pairingStorePath } from '../../src/state-layout.js';
import { IMPORTED_SUFFIX } from '../../src/store/moved-aside.js';
import { tempSqliteStore } from '../store/helpers/temp.js';

const T0 = Date.UTC(2025, 2, 4, 12);
let h: Awaited<ReturnType<typeof tempSqliteStore>>;
let stateDir: string;
beforeEach(async () => {
  h = await tempSqliteStore();
  stateDir = path.dirname(h.file);
  fs.mkdirSync(path.join(stateDir, 'credentials'), { recursive: true });
});
afterEach(() => h.cleanup());

const write = (file: string, value: unknown) => fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));

describe('importPairingFiles', () => {
  it('imports approved senders (normalized, in order) and live requests, moves both files aside, removes the old lock', async () => {
    write(allowFromStorePath(stateDir), { version: 1, allowFrom: ['+15550000002', '15550000001@s.whatsapp.net', '+15550000002'] });
    write(pairingStorePath(stateDir), {
      version: 1,
      requests: [
        { code: 'AAAA2222', sender: '+15551110001', accountId: 'default', name: 'Ann', createdAt: T0 - 1000, expiresAt: T0 + PAIRING_TTL_MS },
        { code: 'BBBB3333', sender: '+15551110002', accountId: 'work', createdAt: T0 - PAIRING_TTL_MS, expiresAt: T0 }, // expired
      ],
    });
    write(pairingLockFile(stateDir), '123\n');
    const res = await importPairingFiles(h.store, stateDir, () => T0);
    expect(res).toEqual([
      { file: allowFromStorePath(stateDir), imported: 2, movedTo: `${allowFromStorePath(stateDir)}${IMPORTED_SUFFIX}20250304` },
      { file: pairingStorePath(stateDir), imported: 1, movedTo: `${pairingStorePath(stateDir)}${IMPORTED_SUFFIX}20250304` },
    ]);
    const pairing = createPairingStore({ store: h.store, now: () => T0 });
    expect(await pairing.approvedSenders()).toEqual(['+15550000002', '+15550000001']);
    expect(await pairing.list()).toEqual([
      { code: 'AAAA2222', sender: '+15551110001', accountId: 'default', name: 'Ann', createdAt: T0 - 1000, expiresAt: T0 + PAIRING_TTL_MS },
    ]);
    expect(await pairing.approve('aaaa2222')).toMatchObject({ sender: '+15551110001' }); // an imported code can be approved
    expect(fs.readdirSync(path.join(stateDir, 'credentials')).sort()).toEqual([
      `whatsapp-allowFrom.json${IMPORTED_SUFFIX}20250304`,
      `whatsapp-pairing.json${IMPORTED_SUFFIX}20250304`,
    ]);
    expect(await importPairingFiles(h.store, stateDir, () => T0)).toEqual([]);
  });

  it('a request whose code or sender the store already has is skipped', async () => {
    const pairing = createPairingStore({ store: h.store, now: () => T0, random: () => Uint8Array.from([0, 0, 0, 0, 24, 24, 24, 24]) });
    await pairing.requestCode('+15551110001', 'default'); // code AAAA2222
    write(pairingStorePath(stateDir), {
      version: 1,
      requests: [
        { code: 'AAAA2222', sender: '+15551110009', accountId: 'default', createdAt: T0, expiresAt: T0 + 1000 },
        { code: 'CCCC4444', sender: '+15551110001', accountId: 'default', createdAt: T0, expiresAt: T0 + 1000 },
      ],
    });
    expect(await importPairingFiles(h.store, stateDir, () => T0)).toMatchObject([{ imported: 0 }]);
    expect((await pairing.list()).map((r) => r.sender)).toEqual(['+15551110001']);
  });

  it('a corrupt file is an error and stays in place, never taken for "no approvals"; the other file is still imported', async () => {
    write(allowFromStorePath(stateDir), '{"version":1,"allowFrom":[');
    await expect(importPairingFiles(h.store, stateDir, () => T0)).rejects.toMatchObject({ code: 'WAGATE_ERR_PAIRING_STORE' });
    expect(fs.readFileSync(allowFromStorePath(stateDir), 'utf8')).toBe('{"version":1,"allowFrom":['); // untouched
    fs.unlinkSync(allowFromStorePath(stateDir));
    write(pairingStorePath(stateDir), { version: 1, requests: [{ code: 1 }] });
    await expect(importPairingFiles(h.store, stateDir, () => T0)).rejects.toThrow(/unexpected shape at requests\.0\.code/);
    expect(fs.existsSync(pairingStorePath(stateDir))).toBe(true);
  });
});
