// `wagate gateway` for the chaos test, as a child process: the CLI entry of the
// tests, with the wall clock shifted by WAGATE_CHAOS_CLOCK_SKEW_MS (the downtime the
// harness simulates instead of sleeping; the simulator's clock is shifted alike).
const skew = Number(process.env.WAGATE_CHAOS_CLOCK_SKEW_MS ?? 0);
if (skew) {
  const realNow = Date.now;
  Date.now = () => realNow() + skew;
}
await import('../helpers/cli-entry.js');
