/** The built-in `echo` provider (SPEC §6, for tryouts): replies `echo: <text>`. */
import type { AgentProvider, ProviderRunInput, ProviderResult } from './types.js';

export const echoProvider: AgentProvider = {
  name: 'echo',
  async run(input: ProviderRunInput): Promise<ProviderResult> {
    // No look at input.signal: the runner stops waiting for a run it aborts, and an
    // echo that is not asked for its signal costs no AbortController (src/abortable.ts).
    const text = `echo: ${input.envelope.RawBody ?? input.envelope.Body}`;
    input.onDelta?.(text);
    return { text };
  },
};
