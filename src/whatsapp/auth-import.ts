/**
 * The one-time import of a Baileys auth directory into the store (SPEC §12).
 *
 * When the store has no creds for an account and the account's auth directory
 * (`resolveAuthDir`: per-account, configured `authDir`, or the legacy
 * `<state>/credentials/`) holds Baileys files — the layout `useMultiFileAuthState`
 * writes, which this project used before the store — the creds (with the `.bak`
 * rule) and every key file are written to the store in one durable transaction.
 * Then the Baileys files are moved out of the way, into `<dir>.imported-<YYYYMMDD>`
 * beside the directory (other files in it — a shared oauth.json, pairing stores,
 * the legacy dir's `whatsapp/` — stay), so a later logout does not bring them back.
 * Nothing is deleted: `wagate doctor` lists the moved directories and says they can
 * be removed. An emptied auth directory itself is removed (it held nothing else).
 *
 * A crash between the commit and the move leaves the files in place, but the store
 * then has creds and they are not imported again; `wagate doctor` lists them too.
 */
import { mkdir, readdir, rename, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { WagateError } from '../errors.js';
import { importedTarget } from '../store/moved-aside.js';
import type { KeyWrite, Store } from '../store/port.js';
import { BACKUP_FILE, CREDS_FILE, readCredsFile, type AuthLog } from './auth-creds.js';
import { errnoCode, readTextIfExists } from './auth-files.js';
import { isAuthFileName, keyFileName, KEY_TYPES } from './auth-layout.js';


export interface ImportLog extends AuthLog {
  info(obj: object, msg: string): void;
}

export interface ImportResult {
  /** False when there was nothing to import (the store already had creds, or the dir none). */
  imported: boolean;
  /** Where the creds came from: `creds.json`, or `creds.json.bak` when creds.json was bad. */
  from?: typeof CREDS_FILE | typeof BACKUP_FILE;
  keys: number;
  /** Key files that could not be read back as a key (skipped, with a warning). */
  skipped: number;
  /** The directory the files were moved to. */
  movedTo?: string;
  /** With `dryRun`: the dir would be imported (`imported` stays false). */
  wouldImport?: boolean;
}

const TYPES_LONGEST_FIRST = [...KEY_TYPES].sort((a, b) => b.length - a.length);

/**
 * A key file name back to its type and id. Baileys writes `<type>-<id>.json` with `/`
 * as `__` and `:` as `-`, which is not reversible in general; per type it is: only
 * app-state-sync-key ids (base64) have `/`, only sender-key ids (`group::user::device`)
 * have `:`. The result is checked by naming it again.
 */
export function parseKeyFileName(name: string): { type: string; id: string } | undefined {
  if (!name.endsWith('.json')) return undefined;
  const type = TYPES_LONGEST_FIRST.find((t) => name.startsWith(`${t}-`));
  if (!type) return undefined;
  let id = name.slice(type.length + 1, -'.json'.length);
  if (type === 'app-state-sync-key') id = id.replace(/__/g, '/');
  if (type === 'sender-key') id = id.replace(/--/g, '::');
  return id && keyFileName(type, id) === name ? { type, id } : undefined;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return [];
    throw err;
  }
}

function importError(dir: string, err: unknown): unknown {
  if (err instanceof WagateError) return err;
  return new WagateError(
    'WAGATE_ERR_CREDS',
    `Cannot import the WhatsApp auth files of ${dir} into the store (${errnoCode(err) ?? (err as Error).message}); ` +
      "check the directory's permissions (see `wagate doctor`).",
    { cause: err },
  );
}

/**
 * Import `dir` into the store for `accountId` when the store has no creds for it
 * (see the file comment). A damaged creds.json with no good backup is WAGATE_ERR_CREDS,
 * never "nothing to import": a read error is not "not linked".
 */
export async function importAuthDir(opts: {
  store: Store;
  accountId: string;
  dir: string;
  log: ImportLog;
  now?: () => number;
  /**
   * Leave the Baileys files where they are after the import (`wagate import openclaw`:
   * another product's directory is never modified). Default: move them aside.
   */
  keepFiles?: boolean;
  /** Read and check everything, write nothing (`--dry-run`). */
  dryRun?: boolean;
}): Promise<ImportResult> {
  const { store, accountId, dir, log } = opts;
  const none: ImportResult = { imported: false, keys: 0, skipped: 0 };
  if (await store.creds.load(accountId)) return none;
  const names = (await listDir(dir).catch((err: unknown) => Promise.reject(importError(dir, err)))).sort();
  if (!names.includes(CREDS_FILE) && !names.includes(BACKUP_FILE)) return none;

  const writes: KeyWrite[] = [];
  let skipped = 0;
  let credsTexts: string[];
  let from: ImportResult['from'];
  try {
    const current = await readCredsFile(path.join(dir, CREDS_FILE));
    const bak = await readCredsFile(path.join(dir, BACKUP_FILE));
    if (current.kind === 'ok') {
      from = CREDS_FILE;
      credsTexts = bak.kind === 'ok' ? [bak.text, current.text] : [current.text]; // saved in order: the .bak becomes `previous`
    } else if (bak.kind === 'ok') {
      from = BACKUP_FILE;
      credsTexts = [bak.text];
      log.warn({ accountId, dir, problem: current.kind }, `creds.json is ${current.kind}; importing creds.json.bak`);
    } else if (current.kind === 'missing' && bak.kind === 'missing') {
      return none;
    } else {
      throw new WagateError(
        'WAGATE_ERR_CREDS',
        `Cannot import ${dir}: creds.json is ${current.kind} and creds.json.bak is ${bak.kind}. ` +
          `Restore a good creds.json there, or move the directory away and run \`wagate channels login\` to link again.`,
      );
    }
    for (const name of names) {
      if (name.startsWith('.') || name === CREDS_FILE || name === BACKUP_FILE) continue;
      const key = parseKeyFileName(name);
      if (!key) continue;
      const text = await readTextIfExists(path.join(dir, name));
      if (text === undefined) continue;
      try {
        JSON.parse(text);
      } catch {
        skipped += 1;
        log.warn({ accountId, dir, file: name }, 'not importing an unparsable key file');
        continue;
      }
      writes.push({ type: key.type, id: key.id, value: text });
    }
  } catch (err) {
    throw importError(dir, err);
  }

  if (opts.dryRun) return { imported: false, wouldImport: true, ...(from ? { from } : {}), keys: writes.length, skipped };

  const importedHere = await store.transaction(
    async (tx) => {
      if (await tx.creds.load(accountId)) return false; // imported meanwhile by another process
      if (writes.length > 0) await tx.keys.set(accountId, writes);
      for (const text of credsTexts) await tx.creds.save(accountId, text);
      return true;
    },
    { durable: true },
  );
  if (!importedHere) return none;
  if (opts.keepFiles) {
    log.info(
      { accountId, dir, store: store.location, from, keys: writes.length, skipped },
      `imported the WhatsApp auth files of ${dir} into the store (creds and ${writes.length} Signal keys); the files were left in place`,
    );
    return { imported: true, ...(from ? { from } : {}), keys: writes.length, skipped };
  }

  // Committed: move the Baileys files aside so nothing imports them again.
  const target = await importedTarget(dir, (opts.now ?? Date.now)());
  let moved = 0;
  try {
    await mkdir(target, { recursive: true, mode: 0o700 });
    for (const name of names.filter(isAuthFileName)) {
      await rename(path.join(dir, name), path.join(target, name));
      moved += 1;
    }
    if ((await listDir(dir)).length === 0) await rmdir(dir).catch(() => undefined);
  } catch (err) {
    log.warn(
      { accountId, dir, target, moved, code: errnoCode(err) },
      'imported into the store, but could not move the old files aside; they are not used any more (see `wagate doctor`)',
    );
  }
  const result: ImportResult = { imported: true, from, keys: writes.length, skipped, movedTo: target };
  log.info(
    { accountId, dir, store: store.location, from, keys: writes.length, skipped, movedTo: target },
    `imported the WhatsApp auth files of ${dir} into the store (creds and ${writes.length} Signal keys); the old files are in ${target}`,
  );
  return result;
}
