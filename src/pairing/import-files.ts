/**
 * The one-time import of the file layout's pairing files (SPEC §1, §12) into
 * `store.pairing`:
 *
 *   <state>/credentials/whatsapp-pairing.json    {"version":1,"requests":[{code,sender,accountId,createdAt,expiresAt,name?}]}
 *   <state>/credentials/whatsapp-allowFrom.json  {"version":1,"allowFrom":["+15551234567", "123@lid", …]}
 *
 * Each file is imported in one transaction (approved senders normalized and added in
 * order; requests whose code or sender the store already has are skipped; expired ones
 * are dropped), then moved aside (`<file>.imported-<YYYYMMDD>`). A file that does not
 * parse is WAGATE_ERR_PAIRING_STORE and stays where it is: approvals are never taken
 * for "none". The old lock file (`.whatsapp-pairing.lock`) is no longer used; it is
 * removed when found (it never held data).
 */
import fs from 'node:fs/promises';
import { z } from 'zod';
import { WagateError } from '../errors.js';
import { moveAside } from '../store/moved-aside.js';
import type { Store } from '../store/port.js';
import { allowFromStorePath, pairingLockFile, pairingStorePath } from '../state-layout.js';
import { normalizeSender } from '../whatsapp/address.js';

const RequestSchema = z.object({
  code: z.string(),
  sender: z.string(),
  accountId: z.string(),
  name: z.string().optional(),
  createdAt: z.number(),
  expiresAt: z.number(),
});
const PendingSchema = z.object({ version: z.literal(1), requests: z.array(RequestSchema) });
const AllowSchema = z.object({ version: z.literal(1), allowFrom: z.array(z.string()) });

async function readJson<T>(file: string, schema: z.ZodType<T>): Promise<T | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new WagateError('WAGATE_ERR_PAIRING_STORE', `Cannot read the pairing file ${file}: ${(err as Error).message}`, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new WagateError('WAGATE_ERR_PAIRING_STORE', `The pairing file ${file} is not valid JSON, so it was not imported; fix it or move it away.`, {
      cause: err,
    });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(root)';
    throw new WagateError(
      'WAGATE_ERR_PAIRING_STORE',
      `The pairing file ${file} has an unexpected shape at ${where}, so it was not imported; fix it or move it away.`,
    );
  }
  return parsed.data;
}

export interface PairingFileImport {
  file: string;
  /** Approved senders or requests added to the store. */
  imported: number;
  movedTo?: string;
}

/** Import the approved senders, then the pending requests; see the file comment. */
export async function importPairingFiles(store: Store, stateDir: string, now: () => number = Date.now): Promise<PairingFileImport[]> {
  const out: PairingFileImport[] = [];
  const allowFile = allowFromStorePath(stateDir);
  const allow = await readJson(allowFile, AllowSchema);
  if (allow) {
    const at = now();
    const imported = await store.transaction(async (tx) => {
      let n = 0;
      for (const sender of allow.allowFrom) if (await tx.pairing.approve(normalizeSender(sender), at)) n += 1;
      return n;
    });
    out.push({ file: allowFile, imported, movedTo: await moveAside(allowFile, at) });
  }
  const pendingFile = pairingStorePath(stateDir);
  const pending = await readJson(pendingFile, PendingSchema);
  if (pending) {
    const at = now();
    const imported = await store.transaction(async (tx) => {
      const have = await tx.pairing.requests();
      const codes = new Set(have.map((r) => r.code));
      const senders = new Set(have.map((r) => r.sender));
      let n = 0;
      for (const r of pending.requests) {
        const sender = normalizeSender(r.sender);
        if (r.expiresAt <= at || codes.has(r.code) || senders.has(sender) || (await tx.pairing.isApproved(sender))) continue;
        await tx.pairing.addRequest({ ...r, sender });
        codes.add(r.code);
        senders.add(sender);
        n += 1;
      }
      return n;
    });
    out.push({ file: pendingFile, imported, movedTo: await moveAside(pendingFile, at) });
  }
  await fs.unlink(pairingLockFile(stateDir)).catch(() => undefined);
  return out;
}
