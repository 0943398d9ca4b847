/**
 * Child process for the cross-process test: approves the codes given on the
 * command line, one after another, in the store under argv[2].
 */
import { createPairingStore } from '../../src/pairing/store.js';

const [stateDir, ...codes] = process.argv.slice(2);
const store = createPairingStore({ stateDir: stateDir! });
process.stdout.write('ready\n');
for (const code of codes) await store.approve(code);
process.stdout.write(`approved ${codes.length}\n`);
