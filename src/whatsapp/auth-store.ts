/**
 * The WhatsApp auth store (SPEC §1, §4): a Baileys-compatible auth state — the shape
 * `useMultiFileAuthState` returns, `{ state: { creds, keys: { get, set } }, saveCreds }`,
 * over the same files — with durable writes:
 *
 * - every write atomic (temp, fsync, rename, fsync dir), files 0600, a dir it creates 0700
 *   (an existing dir open to others is left as it is, with a warning);
 * - creds saves of one directory serialized, each key file's writes in order, different
 *   key files side by side (`auth-queue.ts`);
 * - `creds.json.bak` rotation and restore, and hard errors instead of "no creds"
 *   (`auth-creds.ts`);
 * - directory layout, legacy dir, `hasCreds` and logout in `auth-layout.ts`.
 *
 * This is the module the rest of `src/whatsapp/` imports.
 */
import { chmod, readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { AuthenticationState, SignalDataSet, SignalDataTypeMap } from '@whiskeysockets/baileys';
import { isWagateError, WagateError } from '../errors.js';
import { loadCreds, saveCredsFile, serializeCreds, type AuthLog, type CredsSource } from './auth-creds.js';
import {
  ensurePrivateDir,
  errnoCode,
  FILE_MODE,
  readTextIfExists,
  removeStaleTemps,
  writeFilesAtomic,
} from './auth-files.js';
import { isAuthFileName, isKeyFileName, KEY_TYPES, keyFileName } from './auth-layout.js';
import { BufferJSON, proto } from './baileys-auth.js';
import { enqueue, enqueueKey, settled, settledKey, settledQuietly } from './auth-queue.js';

export { BACKUP_FILE, CREDS_FILE, inspectCreds, type AuthLog, type CredsInspection } from './auth-creds.js';
export { hasCreds, removeAuthState, resolveAuthDir, KEY_TYPES } from './auth-layout.js';
export type { ResolveAuthDirInput, ResolvedAuthDir } from './auth-layout.js';

export interface OpenAuthStoreOptions {
  /** The account's auth directory (see `resolveAuthDir`). */
  dir: string;
  /** Warnings (a restore from backup, an unreadable key file); never given secrets. */
  log: AuthLog;
}

export interface AuthStore {
  readonly dir: string;
  /** Pass to `makeWASocket({ auth: state })`. */
  readonly state: AuthenticationState;
  /** Persist `state.creds` as it is now; call on every `creds.update`. */
  saveCreds(): Promise<void>;
  /** Where the creds came from when the store opened. */
  readonly source: CredsSource;
  /** Resolves once every write queued so far has settled. */
  flush(): Promise<void>;
  /** Resolves once every write has settled and none was queued for `quietMs` (after a close). */
  flushQuietly(quietMs: number): Promise<void>;
}

function credsError(what: string, dir: string, err: unknown): WagateError {
  if (isWagateError(err)) return err;
  return new WagateError(
    'WAGATE_ERR_CREDS',
    `Cannot ${what} the auth directory ${dir} (${errnoCode(err) ?? 'error'}); ` +
      'check that it is a directory you can write, or set another authDir.',
    { cause: err },
  );
}

/**
 * An existing auth directory that others may read or write is the user's choice
 * and is left as it is (never chmod'ed behind their back); the files in it are
 * still 0600. Say what it exposes and how to fix it.
 */
function warnOpenDir(log: AuthLog, dir: string, mode: number): void {
  const octal = mode.toString(8).padStart(3, '0');
  const writable = (mode & 0o022) !== 0;
  log.warn(
    { dir, mode: octal },
    `auth directory ${dir} is mode ${octal}: other users can ${writable ? 'replace files in it (and so the WhatsApp session)' : 'list it'}; ` +
      `the gateway leaves it as it is — run \`chmod 700 ${dir}\` to make it private`,
  );
}

/** Legacy Baileys wrote 0644 files: tighten any auth file readable by others. */
async function tightenModes(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (!isAuthFileName(name)) continue;
    const p = path.join(dir, name);
    const st = await stat(p).catch(() => undefined);
    if (st?.isFile() && (st.mode & 0o077) !== 0) await chmod(p, FILE_MODE);
  }
}

/**
 * The key files of each open auth directory (by resolved path), listed at open and
 * kept current by `set`: a key that has no file is answered `null` at once, without
 * a read that fails with ENOENT or a wait for the write queue. Baileys looks up keys
 * that usually do not exist (`tctoken` on every send); each used to cost both.
 * Shared by every store open on the directory in this process, like the write queue.
 */
const keyFiles = new Map<string, Set<string>>();
const KNOWN_TYPES: ReadonlySet<string> = new Set(KEY_TYPES);

/** Open (or create) the auth state of one account directory. */
export async function openAuthStore(opts: OpenAuthStoreOptions): Promise<AuthStore> {
  const { dir, log } = opts;
  const loaded = await enqueue(dir, async () => {
    try {
      const made = await ensurePrivateDir(dir);
      if (!made.created && (made.mode & 0o077) !== 0) warnOpenDir(log, dir, made.mode);
      await removeStaleTemps(dir, isAuthFileName);
      await tightenModes(dir);
      keyFiles.set(path.resolve(dir), new Set((await readdir(dir)).filter(isKeyFileName)));
      return await loadCreds(dir, log);
    } catch (err) {
      throw credsError('open', dir, err);
    }
  });
  const creds = loaded.creds;
  const present = (): Set<string> | undefined => keyFiles.get(path.resolve(dir));

  const readKey = async (type: keyof SignalDataTypeMap, id: string): Promise<unknown> => {
    const name = keyFileName(type, id);
    let text: string | undefined;
    try {
      text = await readTextIfExists(path.join(dir, name));
    } catch (err) {
      throw credsError('read a key file in', dir, err);
    }
    if (text === undefined || text.trim() === '') return null;
    let value: unknown;
    try {
      value = JSON.parse(text, BufferJSON.reviver);
    } catch {
      log.warn({ dir, file: name, type }, 'ignoring an unparsable key file');
      return null;
    }
    if (type === 'app-state-sync-key' && value) {
      return proto.Message.AppStateSyncKeyData.fromObject(value as Record<string, unknown>);
    }
    return value;
  };

  const keys: AuthenticationState['keys'] = {
    get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
      const files = KNOWN_TYPES.has(type) ? present() : undefined;
      const data: { [id: string]: SignalDataTypeMap[T] } = {};
      const onDisk = files ? ids.filter((id) => files.has(keyFileName(type, id))) : ids;
      for (const id of ids) data[id] = null as unknown as SignalDataTypeMap[T];
      if (onDisk.length === 0) return data;
      const values = await Promise.all(
        onDisk.map(async (id) => {
          await settledKey(dir, keyFileName(type, id)); // read your own writes
          return readKey(type, id);
        }),
      );
      onDisk.forEach((id, i) => {
        data[id] = values[i] as SignalDataTypeMap[T];
      });
      return data;
    },
    set: async (data: SignalDataSet) => {
      const writes: Array<{ name: string; data: string }> = [];
      const removals: string[] = [];
      for (const category of Object.keys(data) as Array<keyof SignalDataSet>) {
        const entries = data[category] ?? {};
        for (const id of Object.keys(entries)) {
          const value = entries[id];
          const name = keyFileName(category, id);
          if (value) writes.push({ name, data: JSON.stringify(value, BufferJSON.replacer) });
          else removals.push(name);
        }
      }
      const files = present();
      for (const w of writes) files?.add(w.name);
      for (const name of removals) files?.delete(name);
      const write = (name: string, job: () => Promise<void>) =>
        enqueueKey(dir, name, async () => {
          try {
            await job();
          } catch (err) {
            throw credsError('write keys in', dir, err);
          }
        });
      await Promise.all([
        // Keys change on every message: atomic, not fsynced (see writeFilesAtomic).
        ...writes.map((w) => write(w.name, () => writeFilesAtomic(dir, [w], FILE_MODE, { durable: false }))),
        ...removals.map((name) =>
          write(name, () =>
            unlink(path.join(dir, name)).catch((err: unknown) => {
              if (errnoCode(err) !== 'ENOENT') throw err;
            }),
          ),
        ),
      ]);
    },
  };

  return {
    dir,
    state: { creds, keys },
    source: loaded.source,
    saveCreds: () => {
      const text = serializeCreds(creds); // the creds as they are at the call
      return enqueue(dir, () => saveCredsFile(dir, text));
    },
    flush: () => settled(dir),
    flushQuietly: (quietMs) => settledQuietly(dir, quietMs),
  };
}
