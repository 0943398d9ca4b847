/**
 * Links `n` accounts against a running simulator once and leaves their creds in
 * Baileys' own file layout, `<home>/credentials/whatsapp/<id>/` (written by
 * `useMultiFileAuthState`): the bare Baileys sides open them there.
 *
 * The gateway side gets its own home (`prepareGatewayHome`): a copy of those dirs,
 * imported into `<gwHome>/wagate.db` by the gateway's own importer before any round
 * is measured. A gateway started on the bare side's home would import the dirs at its
 * first start and move them aside, and the next bare round would find no creds.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { useMultiFileAuthState } from '@whiskeysockets/baileys';
import type { CompanionRecord } from '../src/sim/server/hub-impl.js';
import type { SimServer } from '../src/sim/server/server.js';
import { openSqliteStore, storeFile } from '../src/store/sqlite.js';
import { importAuthDir } from '../src/whatsapp/auth-import.js';
import { TestClient } from '../test/sim/helpers/client.js';

export interface LinkedAccount {
  id: string;
  e164: string;
  dir: string;
}

export function benchAccountIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `a${i}`);
}

/**
 * Where gateway-accounts' bare side keeps its auth state: the gateway's kind of store
 * (default, so the comparison is not one of storage) or, with
 * WAGATE_BENCH_BARE_AUTH=files, Baileys' own multi-file auth state.
 */
export function bareAuthKind(): 'store' | 'files' {
  return process.env.WAGATE_BENCH_BARE_AUTH === 'files' ? 'files' : 'store';
}

export function authDirOf(home: string, id: string): string {
  return path.join(home, 'credentials', 'whatsapp', id);
}

/** How many accounts link at once: 200 at once did not all get a QR, nor 50 at once all open, within 2 minutes on a loaded 2-core machine (load 9). */
export const LINK_AT_ONCE = 20;

/** Links the accounts, LINK_AT_ONCE at a time (QR → pair-success → 515 → open), then closes them with creds saved. */
export async function linkAccounts(sim: Pick<SimServer, 'url' | 'phone'>, home: string, n: number): Promise<LinkedAccount[]> {
  const accounts = benchAccountIds(n).map((id, i) => ({ id, e164: `+1555300${String(i).padStart(4, '0')}`, dir: authDirOf(home, id) }));
  for (let from = 0; from < accounts.length; from += LINK_AT_ONCE) {
    await linkSome(sim, accounts.slice(from, from + LINK_AT_ONCE));
    if (accounts.length > LINK_AT_ONCE) process.stderr.write(`linked ${Math.min(from + LINK_AT_ONCE, accounts.length)} of ${accounts.length}\n`);
  }
  return accounts;
}

async function linkSome(sim: Pick<SimServer, 'url' | 'phone'>, accounts: LinkedAccount[]): Promise<void> {
  await Promise.all(
    accounts.map(async (acc) => {
      // Under heavy load a link now and then never opens: it is tried again from scratch.
      for (let attempt = 1; ; attempt++) {
        try {
          await linkOne(sim, acc);
          return;
        } catch (err) {
          if (attempt >= LINK_ATTEMPTS) throw err;
          process.stderr.write(`linking ${acc.id} failed (${err instanceof Error ? err.message : String(err)}), trying again\n`);
          // The failed client may still be writing its files: retry the removal.
          await fs.rm(acc.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
        }
      }
    }),
  );
}

const LINK_ATTEMPTS = 3;

async function linkOne(sim: Pick<SimServer, 'url' | 'phone'>, acc: LinkedAccount): Promise<void> {
  const store = await useMultiFileAuthState(acc.dir);
  const client = new TestClient(sim.url, { auth: { state: store.state } });
  try {
    await client.link((qr) => sim.phone(acc.e164).scanQr(qr), 60_000);
  } finally {
    await client.end();
  }
  // Baileys merges every creds.update into state.creds; keys went through the store already.
  await store.saveCreds();
  if (!store.state.creds.me) throw new Error(`linking ${acc.id} saved no identity`);
}

const quiet = { info: () => undefined, warn: () => undefined };

/**
 * A gateway home holding the same creds and Signal keys as `<home>`'s auth dirs for
 * `ids`, already in its store (as after a gateway's first start), so the first
 * measured gateway round does not pay for the import. The dirs are copied first:
 * the importer moves what it imported aside, and the bare side keeps the originals.
 */
export async function prepareGatewayHome(home: string, gwHome: string, ids: string[]): Promise<void> {
  const store = await openSqliteStore({ file: storeFile(gwHome) });
  try {
    for (const id of ids) {
      const dir = authDirOf(gwHome, id);
      await fs.cp(authDirOf(home, id), dir, { recursive: true });
      const r = await importAuthDir({ store, accountId: id, dir, log: quiet });
      if (!r.imported) throw new Error(`prepareGatewayHome: nothing imported for ${id}`);
    }
  } finally {
    await store.close();
  }
}

/**
 * The simulator's side of linked accounts, for reuse by a later process
 * (`WAGATE_BENCH_KEEP_HOME`): each companion's record (identity, Noise key, LID,
 * uploaded keys) as JSON. The simulator keeps companions in memory only; a fresh one
 * given these records accepts the saved creds' logins as if it had linked them. (The
 * simulator's root key need not be kept: the children are told the current one.)
 */
interface SavedCompanion {
  [k: string]: unknown;
}

const enc = (v: unknown): unknown => {
  if (v instanceof Uint8Array) return { $b: Buffer.from(v).toString('base64') };
  if (v instanceof Map) return { $m: [...v.entries()].map(([k, x]) => [k, enc(x)]) };
  if (Array.isArray(v)) return v.map(enc);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, enc(x)]));
  return v;
};

const dec = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(dec);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.$b === 'string') return Buffer.from(o.$b, 'base64');
    if (Array.isArray(o.$m)) return new Map((o.$m as [unknown, unknown][]).map(([k, x]) => [k, dec(x)]));
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, dec(x)]));
  }
  return v;
};

export async function saveSimCompanions(sim: Pick<SimServer, 'hub'>, file: string): Promise<void> {
  const records = [...sim.hub.companions.values()].map((c) => enc({ ...c, online: false, iqs: {} }));
  await fs.writeFile(file, JSON.stringify(records), { mode: 0o600 });
}

/** Puts saved companion records back into a fresh simulator (as linked and logged in once before). */
export async function loadSimCompanions(sim: Pick<SimServer, 'hub'>, file: string): Promise<number> {
  const records = JSON.parse(await fs.readFile(file, 'utf8')) as SavedCompanion[];
  const hub = sim.hub as unknown as { addCompanion(rec: CompanionRecord): void };
  for (const r of records) hub.addCompanion({ ...(dec(r) as CompanionRecord), online: false, firstLoginPending: false });
  return records.length;
}
