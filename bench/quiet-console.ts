/**
 * libsignal logs whole session records ("Closing session: SessionEntry {...}", key
 * material included) through `console`; benchmark processes print their tables
 * with `process.stdout.write`, so they mute `console` entirely by importing this first.
 */
for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
  console[method] = () => undefined;
}
export {};
