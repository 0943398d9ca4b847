/**
 * Child process of the store crash test (crash.ts): writes generations of state in a
 * tight loop until it is SIGKILLed. Run: `node --import tsx store-writer.ts <db file>`.
 * It imports the store only (no Baileys), so it starts fast.
 *
 * Each generation g is one atomic unit, alternating:
 * - odd g, a `transaction(fn)`: the 16 session keys, the pre-key swap, creds `{gen: g}`
 *   and the `app-state-sync-version/creds-gen` key, with a turn of the event loop in the
 *   middle (kills land inside open transactions); every other one opened durable;
 * - even g, one `keys.set` batch: the 16 session keys and the pre-key swap.
 * See `GEN_KEYS` and `expectedState` in crash.ts for what a valid load is.
 *
 * Protocol (stdout lines): `warm` when loaded; after `go` on stdin, `started <g>` with
 * the generation it found, then `ok <g>` after each generation is committed.
 */
import { openSqliteStore, type SqliteStore } from '../../../src/store/sqlite.js';
import { ACCOUNT, genWrites, readState } from './crash-state.js';

const file = process.argv[2];
if (!file) throw new Error('usage: store-writer.ts <db file>');

function say(line: string): void {
  process.stdout.write(`${line}\n`); // synchronous for pipes on Linux
}

async function run(dbFile: string): Promise<void> {
  let store: SqliteStore;
  let gen: number;
  try {
    store = await openSqliteStore({ file: dbFile });
    gen = (await readState(store)).keysGen;
  } catch (err) {
    say(`error ${(err as { code?: string }).code ?? String(err)}`);
    process.exit(1);
  }
  say(`started ${gen}`);
  for (;;) {
    gen += 1;
    const g = gen;
    if (g % 2 === 1) {
      await store.transaction(
        async (tx) => {
          await tx.keys.set(ACCOUNT, genWrites(g));
          await new Promise<void>((r) => setImmediate(r));
          await tx.creds.save(ACCOUNT, JSON.stringify({ gen: g, pad: 'c'.repeat(512) }), { durable: false });
          await tx.keys.set(ACCOUNT, [{ type: 'app-state-sync-version', id: 'creds-gen', value: String(g) }]);
        },
        { durable: g % 4 === 1 },
      );
    } else {
      await store.keys.set(ACCOUNT, genWrites(g));
    }
    say(`ok ${g}`);
  }
}

process.stdin.once('data', () => void run(file));
say('warm');
