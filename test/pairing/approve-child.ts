/**
 * Child process for the cross-process test: approves the codes given on the
 * command line, one after another, in the store (`wagate.db`) under argv[2].
 */
import { createPairingStore } from '../../src/pairing/store.js';
import { openSqliteStore, storeFile } from '../../src/store/sqlite.js';

const [stateDir, ...codes] = process.argv.slice(2);
const db = await openSqliteStore({ file: storeFile(stateDir!) });
const store = createPairingStore({ store: db });
process.stdout.write('ready\n');
for (const code of codes) await store.approve(code);
await db.close();
process.stdout.write(`approved ${codes.length}\n`);
