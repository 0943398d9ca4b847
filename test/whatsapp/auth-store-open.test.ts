import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { isWagateError } from '../../src/errors.js';
import { parseCreds } from '../../src/whatsapp/auth-creds.js';
import { openAuthStore } from '../../src/whatsapp/auth-store.js';
import {
  identityKeyOf,
  makeLinkedDir,
  ME,
  modeOf,
  recordingLog,
} from './helpers/auth-fixtures.js';
import { tmpDir } from '../helpers/tmp.js';

let root: string;
let dir: string;
beforeEach(() => {
  root = tmpDir('auth');
  dir = path.join(root, 'credentials', 'whatsapp', 'default');
});

async function expectCredsError(p: Promise<unknown>, ...mentions: string[]): Promise<Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isWagateError(err) && err.code).toBe('WAGATE_ERR_CREDS');
  for (const m of mentions) expect((err as Error).message).toContain(m);
  return err as Error;
}

describe('opening a directory without creds', () => {
  it('creates the directory (0700, parents too) and fresh creds, writing nothing yet', async () => {
    const store = await openAuthStore({ dir, log: recordingLog() });
    expect(store.source).toBe('fresh');
    expect(store.state.creds.me).toBeUndefined();
    expect(await modeOf(dir)).toBe(0o700);
    expect(await modeOf(path.dirname(dir))).toBe(0o700);
    expect(await readdir(dir)).toEqual([]);
  });

  it('writes creds.json with mode 0600 on the first save, and no .bak yet', async () => {
    const store = await openAuthStore({ dir, log: recordingLog() });
    await store.saveCreds();
    expect((await readdir(dir)).sort()).toEqual(['creds.json']);
    expect(await modeOf(path.join(dir, 'creds.json'))).toBe(0o600);
  });

  it('never changes the mode of an existing directory: a 0755 one stays 0755, with a warning saying how to fix it', async () => {
    await makeLinkedDir(dir);
    await chmod(dir, 0o755);
    await chmod(path.join(dir, 'creds.json'), 0o644);
    await writeFile(path.join(dir, 'oauth.json'), '{}', { mode: 0o644 });
    const log = recordingLog();
    await openAuthStore({ dir, log });
    expect(await modeOf(dir)).toBe(0o755);
    expect(await modeOf(path.join(dir, 'creds.json'))).toBe(0o600); // our secret files are still tightened
    expect(await modeOf(path.join(dir, 'oauth.json'))).toBe(0o644); // not ours
    expect(log.warnings).toEqual([
      {
        obj: { dir, mode: '755' },
        msg: `auth directory ${dir} is mode 755: other users can list it; the gateway leaves it as it is — run \`chmod 700 ${dir}\` to make it private`,
      },
    ]);
  });

  it('a group-writable existing directory is left alone too, and the warning says what that exposes', async () => {
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o770);
    const log = recordingLog();
    await openAuthStore({ dir, log });
    expect(await modeOf(dir)).toBe(0o770);
    expect(log.warnings.map((w) => w.msg)).toEqual([expect.stringContaining('is mode 770: other users can replace files in it')]);
  });

  it('an existing private directory (0700 or tighter) opens without a warning', async () => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    const log = recordingLog();
    await openAuthStore({ dir, log });
    expect(await modeOf(dir)).toBe(0o700);
    expect(log.warnings).toEqual([]);
  });
});

describe('opening a directory with creds', () => {
  it('loads the saved identity back', async () => {
    const { identityKey } = await makeLinkedDir(dir);
    const store = await openAuthStore({ dir, log: recordingLog() });
    expect(store.source).toBe('file');
    expect(store.state.creds.me?.id).toBe(ME);
    expect(identityKeyOf(store.state.creds)).toBe(identityKey);
  });

  it.each([
    ['missing', async (f: string) => rm(f)],
    ['empty', async (f: string) => writeFile(f, '')],
    ['unparsable', async (f: string) => writeFile(f, '{"noiseKey": {"priv')],
    ['not creds', async (f: string) => writeFile(f, '{"hello": 1}')],
  ])('restores a %s creds.json from a good .bak and warns', async (_kind, damage) => {
    const { identityKey } = await makeLinkedDir(dir);
    const credsFile = path.join(dir, 'creds.json');
    const bakText = await readFile(path.join(dir, 'creds.json.bak'), 'utf8');
    await damage(credsFile);
    const log = recordingLog();
    const store = await openAuthStore({ dir, log });
    expect(store.source).toBe('backup');
    expect(identityKeyOf(store.state.creds)).toBe(identityKey);
    expect(await readFile(credsFile, 'utf8')).toBe(bakText);
    expect(await modeOf(credsFile)).toBe(0o600);
    expect(log.warnings).toHaveLength(1);
    expect(log.warnings[0]!.msg).toMatch(/restored it from creds\.json\.bak/);
    expect(log.warnings[0]!.obj).toMatchObject({ dir });
  });

  it('never puts secrets in the restore warning', async () => {
    await makeLinkedDir(dir);
    const bakText = await readFile(path.join(dir, 'creds.json.bak'), 'utf8');
    const creds = parseCreds(bakText)!;
    await writeFile(path.join(dir, 'creds.json'), '');
    const log = recordingLog();
    await openAuthStore({ dir, log });
    const logged = JSON.stringify(log.warnings);
    for (const secret of [
      creds.noiseKey.private,
      creds.signedIdentityKey.private,
      creds.signedPreKey.keyPair.private,
    ]) {
      expect(logged).not.toContain(Buffer.from(secret).toString('base64'));
    }
    expect(logged).not.toContain(creds.advSecretKey);
  });
});

describe('creds that cannot be read are never taken as "no creds"', () => {
  it('an unparsable creds.json with no .bak throws WAGATE_ERR_CREDS naming the file and the fix', async () => {
    await mkdir(dir, { recursive: true });
    const credsFile = path.join(dir, 'creds.json');
    await writeFile(credsFile, 'garbage{');
    await expectCredsError(openAuthStore({ dir, log: recordingLog() }), credsFile, 'wagate channels logout');
    expect(await readFile(credsFile, 'utf8')).toBe('garbage{'); // left for the user
  });

  it('an empty creds.json with no .bak throws', async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'creds.json'), '  \n');
    await expectCredsError(openAuthStore({ dir, log: recordingLog() }), 'empty');
  });

  it('an unparsable creds.json with an unparsable .bak throws', async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'creds.json'), 'x');
    await writeFile(path.join(dir, 'creds.json.bak'), 'y');
    await expectCredsError(openAuthStore({ dir, log: recordingLog() }), 'creds.json.bak');
  });

  it('a missing creds.json with an unparsable .bak throws instead of making a fresh identity', async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'creds.json.bak'), '{');
    await expectCredsError(openAuthStore({ dir, log: recordingLog() }), 'is missing');
    expect((await readdir(dir)).sort()).toEqual(['creds.json.bak']);
  });

  it('creds.json that is a directory (EISDIR) throws, even with a good .bak', async () => {
    await makeLinkedDir(dir);
    const credsFile = path.join(dir, 'creds.json');
    const bakBefore = await readFile(path.join(dir, 'creds.json.bak'), 'utf8');
    await rm(credsFile);
    await mkdir(credsFile);
    await expectCredsError(openAuthStore({ dir, log: recordingLog() }), 'EISDIR', credsFile);
    expect((await stat(credsFile)).isDirectory()).toBe(true);
    expect(await readFile(path.join(dir, 'creds.json.bak'), 'utf8')).toBe(bakBefore);
  });

  it('a .bak that is a directory, with creds.json missing, throws', async () => {
    await mkdir(path.join(dir, 'creds.json.bak'), { recursive: true });
    await expectCredsError(openAuthStore({ dir, log: recordingLog() }), 'EISDIR');
  });

  it('an auth dir path that is a file throws', async () => {
    await mkdir(path.dirname(dir), { recursive: true });
    await writeFile(dir, 'not a dir');
    await expectCredsError(openAuthStore({ dir, log: recordingLog() }), dir);
  });
});

describe('temp files left by a crashed writer', () => {
  it('are removed on open when their writer is dead, kept when it is alive or not ours', async () => {
    await makeLinkedDir(dir);
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const deadTemp = `.creds.json.${dead}.3.tmp`;
    const liveTemp = `.creds.json.${process.pid}.999999.tmp`;
    await writeFile(path.join(dir, deadTemp), 'partial');
    const otherTemp = `.oauth.json.${dead}.4.tmp`;
    await writeFile(path.join(dir, liveTemp), 'partial');
    await writeFile(path.join(dir, otherTemp), 'partial');
    await openAuthStore({ dir, log: recordingLog() });
    const names = await readdir(dir);
    expect(names).not.toContain(deadTemp);
    expect(names).toContain(liveTemp);
    expect(names).toContain(otherTemp); // not an auth file: not ours to clean
  });
});
