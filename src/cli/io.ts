/**
 * CLI input/output: where a command writes, and how it reports success or a
 * failure (one clear line, exit code 1). Tests pass their own CliIO to run the
 * CLI in-process.
 */
import { isWagateError } from '../errors.js';

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
  /** True when stdout is a terminal (QR drawing, colours). */
  isTTY: boolean;
  /** Aborted on SIGINT/SIGTERM (long-running commands stop on it). */
  signal: AbortSignal;
}

export function processIO(signal: AbortSignal): CliIO {
  return {
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    env: process.env,
    isTTY: Boolean(process.stdout.isTTY),
    signal,
  };
}

/** Thrown by commands to exit with a code after printing their own output. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Print one line for an error (JSON when --json) and return exit code 1. */
export function reportError(io: CliIO, err: unknown, json: boolean): number {
  const code = isWagateError(err) ? err.code : 'WAGATE_ERR_INTERNAL';
  const message = err instanceof Error ? err.message : String(err);
  if (json) io.out(JSON.stringify({ ok: false, error: { code, message } }));
  else io.err(`wagate: ${message}`);
  return 1;
}

export function printJson(io: CliIO, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}
