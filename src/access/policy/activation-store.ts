/**
 * Group activation per group (SPEC §5 `/activation mention|always`), persisted in
 * `<state>/whatsapp-activation.json` (atomic, 0600) as
 * `{ version: 1, accounts: { <accountId>: { <groupJid>: "mention" | "always" } } }`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../config/index.js';

export type Activation = 'mention' | 'always';

interface StoreFile {
  version: 1;
  accounts: Record<string, Record<string, Activation>>;
}

export class ActivationStore {
  private data: StoreFile = { version: 1, accounts: {} };
  private saving: Promise<void> = Promise.resolve();

  constructor(
    readonly file: string,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.load();
  }

  private load(): void {
    try {
      const parsed = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Partial<StoreFile>;
      const accounts: StoreFile['accounts'] = {};
      for (const [acc, groups] of Object.entries(parsed.accounts ?? {})) {
        accounts[acc] = {};
        for (const [jid, mode] of Object.entries(groups ?? {})) {
          if (mode === 'mention' || mode === 'always') (accounts[acc] as Record<string, Activation>)[jid] = mode;
        }
      }
      this.data = { version: 1, accounts };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.onError(err);
    }
  }

  get(accountId: string, groupJid: string): Activation | undefined {
    return this.data.accounts[accountId]?.[groupJid];
  }

  /** Set and persist; resolves when the file is written (rejects on a write error). */
  set(accountId: string, groupJid: string, mode: Activation): Promise<void> {
    const groups = (this.data.accounts[accountId] ??= {});
    groups[groupJid] = mode;
    const text = JSON.stringify(this.data, null, 2);
    const write = this.saving.then(async () => {
      await fs.promises.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.file, text, 0o600);
    });
    this.saving = write.catch(() => undefined);
    return write;
  }

  /** Number of groups with a stored activation (for summaries). */
  count(): number {
    return Object.values(this.data.accounts).reduce((n, g) => n + Object.keys(g).length, 0);
  }
}
