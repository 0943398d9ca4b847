/**
 * Group activation per group (SPEC §5 `/activation mention|always`), kept in the store
 * (`store.activations`, SPEC §12). Each account's activations are read once, on its
 * first group message, and kept in memory: only the gateway's access policy writes
 * them (`set` writes the store first, then the memory).
 *
 * The file layout's `<state>/whatsapp-activation.json`
 * (`{ version: 1, accounts: { <accountId>: { <groupJid>: "mention" | "always" } } }`)
 * is imported once (`importActivationFile`, run by state-import.ts).
 */
import { moveAside, readOldFile } from '../../store/moved-aside.js';
import type { ActivationMode, Store } from '../../store/port.js';
import { activationStorePath } from '../../state-layout.js';

export type Activation = ActivationMode;

export class ActivationStore {
  private readonly byAccount = new Map<string, Promise<Map<string, Activation>>>();
  /** The same maps, once read (for `count`). */
  private readonly settled = new Map<string, Map<string, Activation>>();

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  private groups(accountId: string): Promise<Map<string, Activation>> {
    let p = this.byAccount.get(accountId);
    if (!p) {
      p = this.store.activations.all(accountId).then((all) => {
        const groups = new Map(Object.entries(all));
        this.settled.set(accountId, groups);
        return groups;
      });
      this.byAccount.set(accountId, p);
      p.catch(() => this.byAccount.delete(accountId)); // a failed read is tried again next time
    }
    return p;
  }

  /** The group's stored activation (rejects when the store cannot be read). */
  async get(accountId: string, groupJid: string): Promise<Activation | undefined> {
    return (await this.groups(accountId)).get(groupJid);
  }

  /** Set and persist; resolves when the store has it (rejects on a write error). */
  async set(accountId: string, groupJid: string, mode: Activation): Promise<void> {
    const groups = await this.groups(accountId);
    await this.store.activations.set(accountId, groupJid, mode, this.now());
    groups.set(groupJid, mode);
  }

  /** Number of groups with a stored activation, of the accounts read so far (for summaries). */
  count(): number {
    let n = 0;
    for (const g of this.settled.values()) n += g.size;
    return n;
  }
}

export interface ActivationImport {
  file: string;
  groups: number;
  movedTo?: string;
  corrupt?: boolean;
}

/**
 * Import `<state>/whatsapp-activation.json` into `store.activations` (an activation the
 * store already has for a group is kept), then move the file aside. A file that does
 * not parse is moved aside with nothing imported (the file layout fell back to the
 * configured defaults then too). Undefined when there is no file.
 */
export async function importActivationFile(store: Store, stateDir: string, now: () => number = Date.now): Promise<ActivationImport | undefined> {
  const file = activationStorePath(stateDir);
  const text = await readOldFile(file);
  if (text === undefined) return undefined;
  const rows: [string, string, Activation][] = [];
  let corrupt = false;
  try {
    const parsed = JSON.parse(text) as { accounts?: Record<string, Record<string, unknown> | null> };
    for (const [acc, groups] of Object.entries(parsed.accounts ?? {})) {
      for (const [jid, mode] of Object.entries(groups ?? {})) {
        if (mode === 'mention' || mode === 'always') rows.push([acc, jid, mode]);
      }
    }
  } catch {
    corrupt = true;
  }
  const at = now();
  let groups = 0;
  if (rows.length > 0) {
    groups = await store.transaction(async (tx) => {
      let n = 0;
      for (const [acc, jid, mode] of rows) {
        if ((await tx.activations.get(acc, jid)) !== undefined) continue;
        await tx.activations.set(acc, jid, mode, at);
        n += 1;
      }
      return n;
    });
  }
  const result: ActivationImport = { file, groups, movedTo: await moveAside(file, at) };
  if (corrupt) result.corrupt = true;
  return result;
}
