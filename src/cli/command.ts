/**
 * What every command file gets from the program (`main.ts` builds it): the I/O and
 * the exit-code setter, and `action`, which turns a command's errors into one line
 * (or JSON) and exit code 1. Its own module so command files do not import main.ts.
 */
import type { Command } from 'commander';
import { ExitCode, reportError, type CliIO } from './io.js';

export interface CommandDeps {
  io: CliIO;
  setExit(code: number): void;
}

/** Wrap a command action: errors become one line (or JSON) and exit code 1. */
export function action<A extends unknown[]>(
  deps: CommandDeps,
  fn: (...args: A) => Promise<number | void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const cmd = args[args.length - 1] as Command;
    const json = Boolean((cmd.opts() as { json?: boolean }).json);
    try {
      const code = await fn(...args);
      deps.setExit(code ?? 0);
    } catch (err) {
      if (err instanceof ExitCode) deps.setExit(err.code);
      else deps.setExit(reportError(deps.io, err, json));
    }
  };
}
