/**
 * Child entry of `npm run bench`: runs one benchmark (named in argv[2]) with the
 * sizes from the environment, prints its table and exits — Baileys leaves timers
 * behind, so the process exits explicitly.
 */
import './quiet-console.js';
import { findBenchmark, sizesFromEnv } from './registry.js';

const name = process.argv[2] ?? '';
const bench = findBenchmark(name);
if (!bench) {
  process.stderr.write(`bench: unknown benchmark "${name}"\n`);
  process.exit(2);
}
bench.run(sizesFromEnv(process.env)).then(
  (table) => {
    process.stdout.write(table);
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`bench ${name} failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
