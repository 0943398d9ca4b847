/**
 * The one-time import of the access-side files of the file layout into the store
 * (SPEC §12): handled-message ids (`whatsapp-dedupe/<accountId>.json`), pairing
 * requests and approved senders (`credentials/whatsapp-pairing.json`,
 * `whatsapp-allowFrom.json`), group activations (`whatsapp-activation.json`) and
 * connection history (`whatsapp-connections.json`). Baileys auth dirs have their own
 * (whatsapp/auth-import.ts), run when an account's transport starts.
 *
 * Each file is imported in one transaction, then moved aside to
 * `<file>.imported-<YYYYMMDD>` (store/moved-aside.ts; never deleted, listed by
 * `wagate doctor`), so it is imported once. Run by the gateway at start and by the CLI
 * commands that read these without a gateway (`pairing`, in-process login). One file's
 * trouble is logged and does not stop the others; it is tried again at the next start.
 */
import { importActivationFile } from './access/policy/activation-store.js';
import { importDedupeFiles } from './access/policy/dedupe-store.js';
import { importConnectionsFile } from './gateway/connection-history.js';
import { importPairingFiles } from './pairing/import-files.js';
import type { Store } from './store/port.js';

export interface ImportLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export type StateFileKind = 'dedupe' | 'pairing' | 'activation' | 'connections';

/** Import every access-side file still in the file layout; returns how many files were imported. */
export async function importStateFiles(opts: {
  store: Store;
  stateDir: string;
  log: ImportLogger;
  now?: () => number;
  /** Only these kinds (default: all). */
  only?: readonly StateFileKind[];
}): Promise<number> {
  const { store, stateDir, log } = opts;
  const now = opts.now ?? Date.now;
  const want = (k: StateFileKind) => !opts.only || opts.only.includes(k);
  let files = 0;
  const done = (file: string, movedTo: string | undefined, what: string, fields: object = {}) => {
    files += 1;
    log.info({ file, movedTo, store: store.location, ...fields }, `imported ${what} from ${file} into the store; the old file is ${movedTo}`);
  };
  const attempt = async (kind: StateFileKind, job: () => Promise<void>) => {
    if (!want(kind)) return;
    try {
      await job();
    } catch (err) {
      log.error({ err, kind, stateDir }, `could not import the old ${kind} file(s) into the store; tried again at the next start`);
    }
  };
  await attempt('dedupe', async () => {
    for (const r of await importDedupeFiles(store, stateDir, { now })) {
      if (r.corrupt) log.warn({ file: r.file, accountId: r.accountId }, 'the old dedupe file did not parse; nothing imported from it');
      done(r.file, r.movedTo, `${r.keys} handled-message ids`, { accountId: r.accountId });
    }
  });
  await attempt('pairing', async () => {
    for (const r of await importPairingFiles(store, stateDir, now)) done(r.file, r.movedTo, `${r.imported} pairing entries`);
  });
  await attempt('activation', async () => {
    const r = await importActivationFile(store, stateDir, now);
    if (!r) return;
    if (r.corrupt) log.warn({ file: r.file }, 'the old activation file did not parse; nothing imported from it');
    done(r.file, r.movedTo, `${r.groups} group activations`);
  });
  await attempt('connections', async () => {
    const r = await importConnectionsFile(store, stateDir, now);
    if (!r) return;
    if (r.corrupt) log.warn({ file: r.file }, 'the old connection history did not parse; nothing imported from it');
    done(r.file, r.movedTo, `the connection history of ${r.accounts} account(s)`);
  });
  return files;
}
