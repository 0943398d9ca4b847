/**
 * `npx tsx bench/<name>.ts …` runs one benchmark file by itself: when the file is
 * the process's entry (not imported by the registry), print what `main` returns and
 * exit — Baileys leaves timers behind, so the process exits explicitly.
 */
import { pathToFileURL } from 'node:url';

export function runIfMain(moduleUrl: string, main: () => Promise<string>): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  main().then(
    (out) => {
      process.stdout.write(out);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
